"""``python -m dezky_infra verify``: prove that a user can log in to every OIDC client of the stack.

A green ``pulumi up`` proves that authentik holds the providers and applications; this proves that SSO
works, the way a browser and each consumer would do it, against the live authentik:

1. discovery at ``<issuer>.well-known/openid-configuration`` names exactly the issuer the consumer has;
2. the JWKS answers and holds the key that signs the client's tokens;
3. an authorization-code login as the bootstrap admin for every registered redirect URI: authorize
   (``state``, ``nonce``, PKCE S256 for a public client), the login flow through authentik's flow
   executor, and the redirect carrying the code back to that exact URI;
4. the token exchange with the credentials the consumer has (the client secret from ``.env``; none and
   the PKCE verifier for a public client);
5. the id_token: RS256 signature checked with the JWKS (PyJWT), ``iss``, ``aud``, ``nonce``, ``exp``;
   userinfo answers for the access token;
6. what must fail does: an unregistered redirect URI is refused, and so is a wrong client secret.

authentik is lax where a checker might not be (transcripts 27-28: PKCE not enforced, a public client's
secret never checked, a code redeemable with any registered URI): verify checks what matters to the
consumer, not those. One login serves the whole run (authorize is SSO once a session exists), and the
session is ended through the brand's invalidation flow at the end, so a second run starts clean. No
secret, code or token is ever printed: lines carry URIs, client ids and authentik's error codes.

Exit status: 0 when every check passed, 1 when one failed (each failure says the fix), 2 when authentik
could not be reached or the stack cannot be read (one line).

The package: ``oidc`` takes the protocol steps (each returns what it found or raises ``CheckFailed``
naming the kind of fix), ``checks`` runs them in order for each client, ``report`` records and prints
each check and says the fixes the CLI's way, ``consumer`` reads what a consumer has, ``command`` is the
command line.
"""

from dezky_infra.cli.verify.command import main

__all__ = ["main"]
