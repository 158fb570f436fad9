"""Durations in the one form the docker provider keeps them: Go's `time.Duration.String()`.

pulumi-docker reads a container's healthcheck back from `docker inspect` and stores each duration
as Go prints a `time.Duration` (kreuzwerker/terraform-provider-docker, `resourceDockerContainerRead`:
`Healthcheck.Interval.String()`, ...). A value sent in any other spelling, such as "60s" for
"1m0s", differs from what the next refresh reads and shows as a change on every preview. So the
docker layer keeps durations as `timedelta`s and renders them only here.
"""

from datetime import timedelta

_SECOND = timedelta(seconds=1)


def go_duration(value: timedelta) -> str:
    """`value` as Go's `time.Duration.String()` prints it: "5s", "1m0s", "1m30s", "1h0m0s".

    Only whole, non-negative seconds are accepted: the docker layer has no use for the other
    forms Go prints ("1.5s", "500ms"), and refusing them keeps this mirror of Go exact.
    """
    if value < timedelta(0):
        raise ValueError(f"duration {value.total_seconds():g} s is negative")
    if value % _SECOND:
        raise ValueError(f"duration {value.total_seconds():g} s is not a whole number of seconds")
    minutes, seconds = divmod(value // _SECOND, 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}h{minutes}m{seconds}s"
    if minutes:
        return f"{minutes}m{seconds}s"
    return f"{seconds}s"
