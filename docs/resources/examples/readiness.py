import pulumi

from dezky_infra.authentik import AuthentikReady, Group

# Wait for an authentik that is still starting (e.g. a container made in the same program) before
# anything is written to it; a new trigger (the container's id) waits again.
ready = AuthentikReady("authentik-ready", trigger="authentik-container-id")
Group("ops", name="ops", opts=pulumi.ResourceOptions(depends_on=[ready]))
