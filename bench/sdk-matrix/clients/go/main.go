// Real AWS SDK for Go clients (v2 1.17 and v1 1.44, Debian packages) loading container credentials the way a
// pod's default chain does. These versions predate Pod Identity: they accept loopback URIs only and read the
// token from AWS_CONTAINER_AUTHORIZATION_TOKEN (not the file), both at construction.
// Each pod sends from its own source address (as pods on a node do: the agent's fairness key): the SDK's own
// HTTP client with its dialer's LocalAddr set, passed through the SDK's options (v2: the endpoint provider's
// HTTPClient; v1: aws.Config.HTTPClient); timeouts and retries stay the SDK's.
// Job on stdin: {"sdk":"v1"|"v2","url":"...","tokens":["..."],"addresses":["..."]}; prints one JSON array of
// per-pod outcomes.
// Build: GO111MODULE=off GOPATH=/usr/share/gocode go build -o sdk-matrix-go .
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	v2awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	v2config "github.com/aws/aws-sdk-go-v2/config"
	v2endpointcreds "github.com/aws/aws-sdk-go-v2/credentials/endpointcreds"
	v1awserr "github.com/aws/aws-sdk-go/aws/awserr"
	v1defaults "github.com/aws/aws-sdk-go/aws/defaults"
)

type job struct {
	SDK       string   `json:"sdk"`
	URL       string   `json:"url"`
	Tokens    []string `json:"tokens"`
	Addresses []string `json:"addresses"`
}

func localAddr(ip string) *net.TCPAddr {
	if ip == "" {
		return nil
	}
	return &net.TCPAddr{IP: net.ParseIP(ip)}
}

type outcome struct {
	OK    bool    `json:"ok"`
	Ms    float64 `json:"ms"`
	Error string  `json:"error,omitempty"`
}

// loader retrieves credentials once; built with the pod's environment in place.
type loader func() error

func v2Loader(ctx context.Context, address string) (loader, error) {
	// The endpoint provider's default client (awshttp.NewBuildableClient), from the pod's address.
	client := v2awshttp.NewBuildableClient().WithDialerOptions(func(d *net.Dialer) {
		if a := localAddr(address); a != nil {
			d.LocalAddr = a
		}
	})
	cfg, err := v2config.LoadDefaultConfig(ctx, v2config.WithRegion("us-west-2"),
		v2config.WithEndpointCredentialOptions(func(o *v2endpointcreds.Options) { o.HTTPClient = client }))
	if err != nil {
		return nil, err
	}
	return func() error {
		c, err := cfg.Credentials.Retrieve(ctx)
		if err == nil && c.AccessKeyID == "" {
			err = fmt.Errorf("empty credentials")
		}
		return err
	}, nil
}

func v1Loader(address string) loader {
	cfg := v1defaults.Config().WithRegion("us-west-2")
	// v1's default is http.DefaultClient: the same transport, dialing from the pod's address.
	transport := http.DefaultTransport.(*http.Transport).Clone()
	dialer := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	if a := localAddr(address); a != nil {
		dialer.LocalAddr = a
	}
	transport.DialContext = dialer.DialContext
	cfg.HTTPClient = &http.Client{Transport: transport}
	handlers := v1defaults.Handlers()
	chain := v1defaults.CredChain(cfg, handlers)
	return func() error {
		v, err := chain.Get()
		if err == nil && v.AccessKeyID == "" {
			err = fmt.Errorf("empty credentials")
		}
		if aerr, ok := err.(v1awserr.Error); ok {
			// The chain hides the endpoint's error behind NoCredentialProviders unless verbose: report what a pod sees.
			return fmt.Errorf("%s: %s", aerr.Code(), aerr.Message())
		}
		return err
	}
}

func main() {
	var j job
	if err := json.NewDecoder(os.Stdin).Decode(&j); err != nil {
		fmt.Fprintln(os.Stderr, "bad job:", err)
		os.Exit(2)
	}
	ctx := context.Background()
	os.Unsetenv("AWS_ACCESS_KEY_ID")
	os.Unsetenv("AWS_SECRET_ACCESS_KEY")
	os.Unsetenv("AWS_PROFILE")
	os.Setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", j.URL)
	// Each pod's provider reads its token from the environment when it is built: build them one at a time.
	loaders := make([]loader, len(j.Tokens))
	for i, tok := range j.Tokens {
		os.Setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", tok)
		address := ""
		if i < len(j.Addresses) {
			address = j.Addresses[i]
		}
		if j.SDK == "v1" {
			loaders[i] = v1Loader(address)
		} else {
			l, err := v2Loader(ctx, address)
			if err != nil {
				fmt.Fprintln(os.Stderr, "config:", err)
				os.Exit(2)
			}
			loaders[i] = l
		}
	}
	os.Unsetenv("AWS_CONTAINER_AUTHORIZATION_TOKEN")
	out := make([]outcome, len(loaders))
	var wg sync.WaitGroup
	start := time.Now()
	for i, load := range loaders {
		wg.Add(1)
		go func(i int, load loader) {
			defer wg.Done()
			err := load()
			out[i] = outcome{OK: err == nil, Ms: float64(time.Since(start).Microseconds()) / 1000}
			if err != nil {
				out[i].Error = err.Error()
			}
		}(i, load)
	}
	wg.Wait()
	_ = json.NewEncoder(os.Stdout).Encode(out)
}
