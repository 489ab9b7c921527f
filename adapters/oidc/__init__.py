"""The OpenID Connect issuer of single sign-on: its discovery, its keys, the tokens it signs."""
