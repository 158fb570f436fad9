// Command envfile_compose_reader prints, as a JSON object, the variables that docker compose reads
// from a dotenv file. It calls compose-go's dotenv.GetEnvFromFile, the same function compose's
// cli/options.go uses for the project .env file, with an empty process environment so that the
// result depends on the file alone. The Python tests use it to check that dezky_infra.envfile
// writes values that compose reads back unchanged.
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/compose-spec/compose-go/v2/dotenv"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: envfile_compose_reader FILE")
		os.Exit(2)
	}
	values, err := dotenv.GetEnvFromFile(map[string]string{}, []string{os.Args[1]})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := json.NewEncoder(os.Stdout).Encode(values); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
