package network

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParsePublishReadsDockersForms(t *testing.T) {
	tcp := func(ip string, host, container int) PortMapping {
		return PortMapping{HostIP: ip, HostPort: host, ContainerPort: container, Proto: "tcp"}
	}
	tests := []struct {
		in      string
		want    []PortMapping
		wantErr string
	}{
		{in: "80", want: []PortMapping{tcp("", 0, 80)}},
		{in: "8080:80", want: []PortMapping{tcp("", 8080, 80)}},
		{in: "0:80", want: []PortMapping{tcp("", 0, 80)}},
		{in: "127.0.0.1:8080:80", want: []PortMapping{tcp("127.0.0.1", 8080, 80)}},
		{in: "127.0.0.1::80", want: []PortMapping{tcp("127.0.0.1", 0, 80)}},
		{in: "[::1]:8080:80", want: []PortMapping{tcp("::1", 8080, 80)}},
		{in: "[::1]::80", want: []PortMapping{tcp("::1", 0, 80)}},
		{in: "::1:8080:80", want: []PortMapping{tcp("::1", 8080, 80)}},
		{in: "53:53/udp", want: []PortMapping{{HostPort: 53, ContainerPort: 53, Proto: "udp"}}},
		{in: "53:53/UDP", want: []PortMapping{{HostPort: 53, ContainerPort: 53, Proto: "udp"}}},
		{in: "80/tcp", want: []PortMapping{tcp("", 0, 80)}},
		{in: "8000-8002:80-82", want: []PortMapping{tcp("", 8000, 80), tcp("", 8001, 81), tcp("", 8002, 82)}},
		{in: "80-81", want: []PortMapping{tcp("", 0, 80), tcp("", 0, 81)}},
		{in: "127.0.0.1::80-81/udp", want: []PortMapping{
			{HostIP: "127.0.0.1", ContainerPort: 80, Proto: "udp"},
			{HostIP: "127.0.0.1", ContainerPort: 81, Proto: "udp"},
		}},
		{in: "8000-8010:80", want: []PortMapping{{HostPort: 8000, HostPortEnd: 8010, ContainerPort: 80, Proto: "tcp"}}},

		{in: "8000-8001:80-82", wantErr: "give ranges of the same length"},
		{in: "8080:80-81", wantErr: "give ranges of the same length"},
		{in: "80/sctp", wantErr: "sctp cannot be published"},
		{in: "80/icmp", wantErr: "unknown protocol"},
		{in: "0", wantErr: "container port"},
		{in: "70000", wantErr: "not a port number"},
		{in: "http", wantErr: "not a port number"},
		{in: "82-80", wantErr: "ends before it starts"},
		{in: "localhost:8080:80", wantErr: "\"localhost\" is not an IP address"},
		{in: "8080:", wantErr: "container port"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParsePublish(tt.in)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestPublishAllPublishesEveryExposedPortToAFreeHostPort(t *testing.T) {
	tests := []struct {
		name    string
		exposed map[string]struct{}
		want    []PortMapping
	}{
		{"none", nil, nil},
		{"in port order", map[string]struct{}{"443/tcp": {}, "80/tcp": {}, "53/udp": {}, "53/tcp": {}}, []PortMapping{
			{ContainerPort: 53, Proto: "tcp"}, {ContainerPort: 53, Proto: "udp"},
			{ContainerPort: 80, Proto: "tcp"}, {ContainerPort: 443, Proto: "tcp"},
		}},
		{"without protocol and ranges", map[string]struct{}{"8080": {}, "9000-9001/udp": {}}, []PortMapping{
			{ContainerPort: 8080, Proto: "tcp"},
			{ContainerPort: 9000, Proto: "udp"}, {ContainerPort: 9001, Proto: "udp"},
		}},
		{"what cannot be published is skipped", map[string]struct{}{"80/sctp": {}, "x": {}, "22/tcp": {}}, []PortMapping{
			{ContainerPort: 22, Proto: "tcp"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, PublishAll(tt.exposed))
		})
	}
}

func TestPortMappingsPrintAsDockerPrintsThem(t *testing.T) {
	assert.Equal(t, "0.0.0.0:8080->80/tcp", PortMapping{HostPort: 8080, ContainerPort: 80, Proto: "tcp"}.String())
	assert.Equal(t, "[::1]:53->53/udp", PortMapping{HostIP: "::1", HostPort: 53, ContainerPort: 53, Proto: "udp"}.String())
	assert.Equal(t, "0.0.0.0:8000-8010->80/tcp", PortMapping{HostPort: 8000, HostPortEnd: 8010, ContainerPort: 80, Proto: "tcp"}.String())
}
