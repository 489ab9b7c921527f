"""The OpenID Connect issuer of single sign-on: its documents and keys, and the tokens it signs."""
