import pulumi

from dezky_infra.authentik import Application, OAuth2Provider

provider = OAuth2Provider(
    "wiki", name="wiki", redirect_uris=[{"url": "https://wiki.example.com/oidc/callback"}]
)
wiki = Application(
    "wiki-app",
    name="Team Wiki",
    slug="wiki",
    provider=provider.pk,
    launch_url="https://wiki.example.com/",
    public_url="https://auth.example.com",
)
pulumi.export("issuer", wiki.issuer)  # https://auth.example.com/application/o/wiki/
