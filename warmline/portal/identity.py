"""Names and hashing shared by the identification services and selectors."""

from __future__ import annotations

import base64
import hashlib

from django.utils.crypto import salted_hmac

VISITOR_COOKIE = "wl_visitor"
VISITOR_SALT = "warmline.portal.visitor"
PORTAL_PREFIX = "/site/"


def magic_link_token_for(nonce: str) -> str:
    """The secret in a link's URL: an HMAC of the row's nonce keyed by SECRET_KEY."""
    digest = salted_hmac("warmline.portal.magic-link", nonce, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def magic_link_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def page_path_clean(path: str) -> str:
    """A path on the public site, or "" (never another site, never the staff app)."""
    text = (path or "").strip().split("#")[0]
    if not text.startswith(PORTAL_PREFIX) or "//" in text or "\\" in text or len(text) > 300:
        return ""
    return text
