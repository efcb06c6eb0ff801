package main

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/urun/urun/image/request"
)

func TestBuildAddHostAsDockerReadsIt(t *testing.T) {
	for _, tc := range []struct {
		name, flag, wantName, wantIP, wantErr string
	}{
		{name: "name colon IPv4", flag: "db:10.0.0.5", wantName: "db", wantIP: "10.0.0.5"},
		{name: "name equals IP", flag: "db=10.0.0.5", wantName: "db", wantIP: "10.0.0.5"},
		{name: "IPv6 after the first colon", flag: "v6:fd00::1", wantName: "v6", wantIP: "fd00::1"},
		{name: "IPv6 in brackets", flag: "v6=[fd00::1]", wantName: "v6", wantIP: "fd00::1"},
		{name: "host-gateway is the host on RUN's network", flag: "host.docker.internal:host-gateway", wantName: "host.docker.internal", wantIP: "127.0.0.1"},
		{name: "no IP", flag: "db", wantErr: "want NAME:IP"},
		{name: "no name", flag: ":10.0.0.5", wantErr: "want NAME:IP"},
		{name: "space in the name", flag: "my db:10.0.0.5", wantErr: "want NAME:IP"},
		{name: "not an address", flag: "db:somewhere", wantErr: "is not an IP address"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name, ip, err := parseBuildAddHost(tc.flag)
			if tc.wantErr != "" {
				assert.ErrorContains(t, err, tc.wantErr)
				return
			}
			assert.NoError(t, err)
			assert.Equal(t, tc.wantName, name)
			assert.Equal(t, tc.wantIP, ip)
		})
	}
}

func TestSearchFilterAsDockerReadsIt(t *testing.T) {
	yes, no := true, false
	for _, tc := range []struct {
		name    string
		flags   []string
		want    request.SearchFilters
		wantErr string
	}{
		{name: "none keeps everything", flags: nil, want: request.SearchFilters{}},
		{name: "stars", flags: []string{"stars=3"}, want: request.SearchFilters{MinStars: 3}},
		{name: "official only", flags: []string{"is-official=true"}, want: request.SearchFilters{Official: &yes}},
		{name: "not automated, with stars", flags: []string{"is-automated=false", "stars=10"}, want: request.SearchFilters{MinStars: 10, Automated: &no}},
		{name: "stars that are no number", flags: []string{"stars=many"}, wantErr: "stars takes a number"},
		{name: "negative stars", flags: []string{"stars=-1"}, wantErr: "stars takes a number"},
		{name: "official that is no boolean", flags: []string{"is-official=maybe"}, wantErr: "takes true or false"},
		{name: "an unknown key", flags: []string{"color=red"}, wantErr: "search takes stars, is-official and is-automated"},
		{name: "no value", flags: []string{"stars"}, wantErr: "invalid filter"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseSearchFilters(tc.flags)
			if tc.wantErr != "" {
				assert.ErrorContains(t, err, tc.wantErr)
				return
			}
			assert.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}
