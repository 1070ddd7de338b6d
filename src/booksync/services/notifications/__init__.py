"""Notifications: when records fail or a tenant disconnects, a digest per pass to e-mail (SMTP), a
signed webhook or a Slack/Teams incoming webhook. Configured by every face; sent after each pass by
the engine the services build (`NotifyingEngine`)."""

from __future__ import annotations

from booksync.services.notifications.channels import (
    DEFAULT_PORTS,
    KINDS,
    SECURITY,
    ChannelView,
    add_email,
    add_slack,
    add_webhook,
    find_channel,
    list_channels,
    remove_channel,
    set_enabled,
)
from booksync.services.notifications.delivery import SIGNATURE_HEADER, DeliveryError, sign
from booksync.services.notifications.digest import Digest, Problem, digest_of, sample_digest
from booksync.services.notifications.sending import (
    Delivery,
    NotifyingEngine,
    deliver,
    notify_pass,
    send_test,
)

__all__ = [
    "DEFAULT_PORTS",
    "KINDS",
    "SECURITY",
    "SIGNATURE_HEADER",
    "ChannelView",
    "Delivery",
    "DeliveryError",
    "Digest",
    "NotifyingEngine",
    "Problem",
    "add_email",
    "add_slack",
    "add_webhook",
    "deliver",
    "digest_of",
    "find_channel",
    "list_channels",
    "notify_pass",
    "remove_channel",
    "sample_digest",
    "send_test",
    "set_enabled",
    "sign",
]
