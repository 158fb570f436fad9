// Command docker_api_client talks to a Docker API endpoint with Docker's own Go client, the way
// pulumi-docker's providers do when they are configured: a client with API version negotiation,
// then Ping. It prints the server's ping answer and the negotiated API version as JSON, or, with
// -list, the error a container list call gets. Any other outcome exits non-zero.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"
)

func main() {
	host := flag.String("host", "", "the daemon address, e.g. unix:///tmp/docker.sock")
	list := flag.Bool("list", false, "list containers instead of pinging, and print the error")
	flag.Parse()

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cli, err := client.NewClientWithOpts(client.WithHost(*host), client.WithAPIVersionNegotiation())
	if err != nil {
		fail("creating the client: %v", err)
	}
	defer cli.Close()

	if *list {
		_, err := cli.ContainerList(ctx, container.ListOptions{All: true})
		if err == nil {
			fail("the container list call succeeded; expected an error")
		}
		emit(map[string]any{"error": err.Error(), "negotiated_version": cli.ClientVersion()})
		return
	}

	ping, err := cli.Ping(ctx)
	if err != nil {
		fail("ping: %v", err)
	}
	cli.NegotiateAPIVersionPing(ping)
	emit(map[string]any{
		"api_version":        ping.APIVersion,
		"os_type":            ping.OSType,
		"experimental":       ping.Experimental,
		"builder_version":    string(ping.BuilderVersion),
		"negotiated_version": cli.ClientVersion(),
	})
}

func emit(value map[string]any) {
	if err := json.NewEncoder(os.Stdout).Encode(value); err != nil {
		fail("writing the result: %v", err)
	}
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(1)
}
