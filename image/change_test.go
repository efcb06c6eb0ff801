//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package image

import (
	"testing"

	imgspecv1 "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestImportChangesSetTheRunConfiguration(t *testing.T) {
	for _, tc := range []struct {
		name    string
		changes []string
		want    imgspecv1.ImageConfig
	}{
		{"CMD exec form", []string{`CMD ["echo", "a b"]`}, imgspecv1.ImageConfig{Cmd: []string{"echo", "a b"}}},
		{"CMD shell form", []string{`CMD echo $HOME`}, imgspecv1.ImageConfig{Cmd: []string{"/bin/sh", "-c", "echo $HOME"}}},
		{"CMD bracket that is no JSON is shell form", []string{`CMD [ -f /x ]`}, imgspecv1.ImageConfig{Cmd: []string{"/bin/sh", "-c", "[ -f /x ]"}}},
		{"lower-case keyword", []string{`cmd ["true"]`}, imgspecv1.ImageConfig{Cmd: []string{"true"}}},
		{"ENTRYPOINT exec and CMD", []string{`ENTRYPOINT ["/bin/echo"]`, `CMD ["hi"]`},
			imgspecv1.ImageConfig{Entrypoint: []string{"/bin/echo"}, Cmd: []string{"hi"}}},
		{"ENTRYPOINT shell form", []string{`ENTRYPOINT exec top -b`}, imgspecv1.ImageConfig{Entrypoint: []string{"/bin/sh", "-c", "exec top -b"}}},
		{"ENV pairs with quotes", []string{`ENV A=1 B="two words" C='$lit' D=a\ b`},
			imgspecv1.ImageConfig{Env: []string{"A=1", "B=two words", "C=$lit", "D=a b"}}},
		{"ENV old form", []string{`ENV GREETING hello  world`}, imgspecv1.ImageConfig{Env: []string{"GREETING=hello world"}}},
		{"ENV again replaces", []string{`ENV A=1 B=2`, `ENV A=3`}, imgspecv1.ImageConfig{Env: []string{"A=3", "B=2"}}},
		{"ENV empty value", []string{`ENV A=`}, imgspecv1.ImageConfig{Env: []string{"A="}}},
		{"WORKDIR absolute then relative", []string{`WORKDIR /srv`, `WORKDIR app/../data`}, imgspecv1.ImageConfig{WorkingDir: "/srv/data"}},
		{"WORKDIR relative first", []string{`WORKDIR work`}, imgspecv1.ImageConfig{WorkingDir: "/work"}},
		{"USER with group", []string{`USER 1000:1001`}, imgspecv1.ImageConfig{User: "1000:1001"}},
		{"EXPOSE ports, protocols, ranges", []string{`EXPOSE 80 53/udp 8000-8001/TCP`},
			imgspecv1.ImageConfig{ExposedPorts: map[string]struct{}{"80/tcp": {}, "53/udp": {}, "8000/tcp": {}, "8001/tcp": {}}}},
		{"LABEL", []string{`LABEL a=b "c d"="e f"`, `LABEL old value here`},
			imgspecv1.ImageConfig{Labels: map[string]string{"a": "b", "c d": "e f", "old": "value here"}}},
		{"VOLUME JSON and plain", []string{`VOLUME ["/data", "/logs"]`, `VOLUME /cache /tmp/x`},
			imgspecv1.ImageConfig{Volumes: map[string]struct{}{"/data": {}, "/logs": {}, "/cache": {}, "/tmp/x": {}}}},
		{"STOPSIGNAL name without SIG", []string{`STOPSIGNAL term`}, imgspecv1.ImageConfig{StopSignal: "SIGTERM"}},
		{"STOPSIGNAL number", []string{`STOPSIGNAL 9`}, imgspecv1.ImageConfig{StopSignal: "9"}},
		{"STOPSIGNAL realtime", []string{`STOPSIGNAL SIGRTMIN+3`}, imgspecv1.ImageConfig{StopSignal: "SIGRTMIN+3"}},
		{"leading blanks and tabs", []string{"  WORKDIR\t/x"}, imgspecv1.ImageConfig{WorkingDir: "/x"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got imgspecv1.ImageConfig
			require.NoError(t, ApplyChanges(&got, tc.changes))
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestImportChangesRefuseWhatTheyCannotApply(t *testing.T) {
	for _, tc := range []struct {
		change string
		msg    string
	}{
		{`RUN apt-get update`, "RUN is not supported by import: give one of CMD, ENTRYPOINT, ENV"},
		{`FROM busybox`, "FROM is not supported"},
		{`HEALTHCHECK NONE`, "HEALTHCHECK is not supported"},
		{``, "empty instruction"},
		{`CMD`, "CMD needs an argument"},
		{`ENV A`, "ENV A has no value"},
		{`ENV A=1 =2`, "ENV wants KEY=VALUE pairs"},
		{`ENV A="open`, "unterminated double quote"},
		{`LABEL a='open`, "unterminated single quote"},
		{`EXPOSE 70000`, "ports 1-65535"},
		{`EXPOSE 80/icmp`, "tcp, udp or sctp"},
		{`EXPOSE 90-80`, "FIRST-LAST"},
		{`USER a b`, "USER wants one"},
		{`VOLUME ["/a", 1]`, "no JSON array of strings"},
		{`STOPSIGNAL SIGNOPE`, "unknown signal"},
		{`STOPSIGNAL 0`, "1-64"},
	} {
		t.Run(tc.change, func(t *testing.T) {
			var cfg imgspecv1.ImageConfig
			err := ApplyChanges(&cfg, []string{tc.change})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.msg)
			assert.Contains(t, err.Error(), "--change", "the message names the flag")
		})
	}
}
