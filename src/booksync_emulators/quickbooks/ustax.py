"""The tax code a US company's sales form is charged at
(https://developer.intuit.com/app/developer/qbo/docs/develop/tutorials/manage-sales-tax-for-us-locales):

- a code the form names in `TxnTaxDetail.TxnTaxCodeRef` (manual sales tax: the lines say TAX or
  NON, the transaction says which rate);
- else, with automated sales tax (`Preferences.TaxPrefs.PartnerTaxEnabled`), the code of the
  destination: "the shipping address provided on the sales transaction. If a shipping address is
  not provided, the company address is considered as the destination address." (A form without a
  ShipAddr takes its customer's shipping address first: "If ShipAddr is not specified, and a
  default Customer:ShippingAddr is specified ... the default ship-to address will be used",
  invoice reference.) The emulator knows a few states (`seed_us.AST_STATES`); elsewhere no tax.
- else none.
"""

from __future__ import annotations

from booksync_emulators.quickbooks import errors, fields, seed_us
from booksync_emulators.quickbooks.store import Realm, Record


def transaction_code(realm: Realm, draft: Record, record: Record) -> Record | None:
    detail = fields.mapping(draft, "TxnTaxDetail") or {}
    code_id = fields.ref_id(detail, "TxnTaxCodeRef", label="TxnTaxDetail.TxnTaxCodeRef")
    if code_id is not None:
        found = realm.get("TaxCode", code_id)
        if (
            found is None
            or not found.get("Active", True)
            or code_id in seed_us.PSEUDO_CODES
            or not (found.get("SalesTaxRateList") or {}).get("TaxRateDetail")
        ):
            raise errors.business(
                f"Invalid tax code Id {code_id} in TxnTaxDetail.TxnTaxCodeRef: it must be a sales "
                "tax code with a rate, not TAX or NON.",
                "TxnTaxDetail.TxnTaxCodeRef",
            )
        return found
    if not realm.profile.automated_sales_tax:
        return None
    destination = record.get("ShipAddr") or realm.profile.address
    state = str(destination.get("CountrySubDivisionCode") or "")
    codes = list(realm.table("TaxCode").values())
    found_id = seed_us.state_code(codes, state)
    return realm.get("TaxCode", found_id) if found_id else None
