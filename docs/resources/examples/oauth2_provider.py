import pulumi

from dezky_infra.authentik import Application, OAuth2Provider

provider = OAuth2Provider(
    "grafana",
    name="grafana",
    client_id="grafana",
    redirect_uris=[{"url": "https://grafana.example.com/login/generic_oauth"}],
    scopes=["openid", "profile", "email"],
)
app = Application(
    "grafana-app",
    name="Grafana",
    slug="grafana",
    provider=provider.pk,
    public_url="https://auth.example.com",
)
pulumi.export("client_id", provider.client_id)
pulumi.export("client_secret", provider.client_secret)  # a Pulumi secret
pulumi.export("issuer", app.issuer)
