// booksync web admin: the only script besides htmx. A link such as the doctor's
// /account-codes/7#code scrolls to the field; this also puts the keyboard focus on it
// (or on the first control of a targeted section), so the fix can be typed at once.
(function () {
  "use strict";
  function focusTarget() {
    if (!location.hash) {
      return;
    }
    var target = document.getElementById(decodeURIComponent(location.hash.slice(1)));
    if (!target) {
      return;
    }
    var control = target.matches("input, select, textarea, button")
      ? target
      : target.querySelector("input:not([type=hidden]), select, textarea, button");
    if (control) {
      control.focus({ preventScroll: true });
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", focusTarget);
  } else {
    focusTarget();
  }
})();
