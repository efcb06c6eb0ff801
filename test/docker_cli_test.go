package test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// dockerStep is one line of a script written for Docker, run with urun in
// docker's place (alias docker=urun), and what Docker's documentation says
// it prints and exits with.
type dockerStep struct {
	// args follow "docker"; {{busybox}} is the fixture image, {{dir}} a
	// directory of the test's.
	args []string
	code int
	// stdout, if set, is a regular expression all of stdout matches.
	stdout string
	// stderr, if set, is in stderr.
	stderr string
	// jsonKeys, if set: stdout is a JSON array of objects, or JSON objects
	// one a line, each with these keys (Docker's field names).
	jsonKeys []string
}

// dockerScript is a day of a Docker user's commands, in order: later steps
// see what earlier ones made. The lead extends it as urun gains commands.
var dockerScript = []dockerStep{
	// docker create prints the new container's full id.
	{args: []string{"create", "--name", "web", "{{busybox}}", "echo", "hello"}, stdout: `^[0-9a-f]{64}\n$`},
	{args: []string{"ps", "-a"}, stdout: `^CONTAINER ID +IMAGE +COMMAND +CREATED +STATUS +PORTS +NAMES\n[0-9a-f]{12} +\S+ +"echo hello" +.+ago +Created +web\n$`},
	{args: []string{"ps", "-a", "-q"}, stdout: `^[0-9a-f]{12}\n$`},
	{args: []string{"ps", "-a", "-q", "--no-trunc"}, stdout: `^[0-9a-f]{64}\n$`},
	{args: []string{"ps", "-a", "--format", `{{.Names}}\t{{.Status}}`}, stdout: "^web\tCreated\n$"},
	{args: []string{"ps", "-a", "--format", "table {{.ID}}\t{{.Names}}"}, stdout: `^CONTAINER ID +NAMES\n[0-9a-f]{12} +web\n$`},
	{args: []string{"container", "ls", "-a", "--filter", "name=web", "--format", "{{.Names}}"}, stdout: "^web\n$"},
	{args: []string{"inspect", "-f", "{{.State.Status}}", "web"}, stdout: "^created\n$"},
	{args: []string{"inspect", "web"}, jsonKeys: []string{"Id", "Created", "Path", "Args", "State", "Image", "Name", "Config", "HostConfig", "NetworkSettings", "Mounts"}},
	{args: []string{"container", "inspect", "--format", "{{.Name}} {{.Config.Image}}", "web"}, stdout: `^/web \S*busybox\S*\n$`},
	// docker start prints the names it was given; wait the exit codes.
	{args: []string{"start", "web"}, stdout: "^web\n$"},
	{args: []string{"wait", "web"}, stdout: "^0\n$"},
	{args: []string{"logs", "web"}, stdout: "^hello\n$"},
	{args: []string{"inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "web"}, stdout: "^exited 0\n$"},
	{args: []string{"rename", "web", "web2"}, stdout: "^$"},
	{args: []string{"inspect", "-f", "{{.Name}}", "web2"}, stdout: "^/web2\n$"},
	{args: []string{"cp", "{{dir}}/note", "web2:/tmp/note"}},
	{args: []string{"cp", "web2:/tmp/note", "{{dir}}/note-back"}},
	{args: []string{"export", "-o", "{{dir}}/web2.tar", "web2"}, stdout: "^$"},
	{args: []string{"stop", "web2"}, stdout: "^web2\n$"},
	{args: []string{"exec", "web2", "true"}, code: 1, stderr: "is not running"},

	{args: []string{"images"}, stdout: `^REPOSITORY +TAG +IMAGE ID +CREATED +SIZE\n`},
	{args: []string{"images", "-q"}, stdout: `^([0-9a-f]{12}\n)+$`},
	{args: []string{"tag", "{{busybox}}", "localhost/mine:v1"}, stdout: "^$"},
	{args: []string{"images", "--format", "{{.Repository}}:{{.Tag}}"}, stdout: `(?m)^localhost/mine:v1$`},
	{args: []string{"image", "inspect", "-f", "{{.Os}}", "localhost/mine:v1"}, stdout: "^linux\n$"},
	{args: []string{"rmi", "localhost/mine:v1"}, stdout: "^Untagged: localhost/mine:v1\n$"},
	{args: []string{"history", "-q", "{{busybox}}"}, stdout: `^([0-9a-f]{12}|<missing>)\n`},

	{args: []string{"network", "ls"}, stdout: `^NETWORK ID +NAME +DRIVER +SCOPE\n[0-9a-f]{12} +bridge +bridge +local\n`},
	{args: []string{"volume", "create", "vol1"}, stdout: "^vol1\n$"},
	{args: []string{"volume", "ls"}, stdout: `^DRIVER +VOLUME NAME\nlocal +vol1\n$`},
	{args: []string{"volume", "inspect", "vol1"}, jsonKeys: []string{"Name", "Driver", "Mountpoint", "Labels", "Scope", "CreatedAt"}},
	{args: []string{"volume", "rm", "vol1"}, stdout: "^vol1\n$"},
	{args: []string{"rm", "web2"}, stdout: "^web2\n$"},

	// A detached service with a label and a health check; a foreground
	// container keeps its log; the day's events, disk use and host.
	{args: []string{"run", "-d", "--name", "svc", "-l", "tier=web", "--annotation", "org.example.team=web", "--health-cmd", "true", "--health-interval", "1s", "{{busybox}}", "sleep", "60"}, stdout: `^[0-9a-f]{64}\n$`},
	{args: []string{"ps", "--filter", "label=tier=web", "--format", "{{.Names}} {{.Label \"tier\"}}"}, stdout: "^svc web\n$"},
	{args: []string{"ps", "--format", "json"}, jsonKeys: []string{"Command", "CreatedAt", "ID", "Image", "Labels", "LocalVolumes", "Mounts", "Names", "Networks", "Ports", "RunningFor", "Size", "State", "Status"}},
	{args: []string{"inspect", "-f", "{{.HostConfig.RestartPolicy.Name}} {{.Config.Labels.tier}}", "svc"}, stdout: "^no web\n$"},
	{args: []string{"inspect", "-f", `{{index .HostConfig.Annotations "org.example.team"}}`, "svc"}, stdout: "^web\n$"},
	{args: []string{"inspect", "-f", "{{.State.Health.Status}}", "svc"}, stdout: "^(starting|healthy)\n$"},
	{args: []string{"run", "--name", "fg", "{{busybox}}", "echo", "out"}, stdout: "^out\n$"},
	{args: []string{"logs", "fg"}, stdout: "^out\n$"},
	{args: []string{"events", "--since", "10m", "--until", "0s", "--filter", "container=fg", "--format", "{{.Type}} {{.Action}}"}, stdout: "^container create\ncontainer start\ncontainer die\n$"},
	{args: []string{"events", "--since", "10m", "--until", "0s", "--filter", "event=die", "--format", "{{json .}}"}, jsonKeys: []string{"status", "id", "from", "Type", "Action", "Actor", "scope", "time", "timeNano"}},
	{args: []string{"system", "df"}, stdout: `^TYPE +TOTAL +ACTIVE +SIZE +RECLAIMABLE\nImages +\d+ +\d+ +\S+ +\S+.*\nContainers +\d+ +\d+ `},
	{args: []string{"info", "--format", "{{.OSType}} {{.Architecture}}"}, stdout: `^linux \S+\n$`},
	{args: []string{"info", "--format", "{{json .}}"}, jsonKeys: []string{"ID", "Containers", "ContainersRunning", "Images", "Driver", "CgroupVersion", "KernelVersion", "OperatingSystem", "OSType", "Architecture", "NCPU", "MemTotal", "Name", "ServerVersion"}},
	{args: []string{"images", "--format", "json"}, jsonKeys: []string{"ID", "Repository", "Tag", "Size", "CreatedAt"}},
	{args: []string{"network", "ls", "--format", "json"}, jsonKeys: []string{"ID", "Name", "Driver", "Scope"}},
	{args: []string{"inspect", "-s", "-f", "{{.SizeRw}} {{.SizeRootFs}}", "svc"}, stdout: `^\d+ [1-9]\d+\n$`},
	{args: []string{"stats", "--no-stream", "--no-trunc", "--format", "{{.ID}} {{.Name}}", "svc"}, stdout: "^[0-9a-f]{64} svc\n$"},
	{args: []string{"restart", "-s", "KILL", "--timeout", "5", "svc"}, stdout: "^svc\n$"},
	{args: []string{"stop", "--timeout", "0", "svc"}, stdout: "^svc\n$"},
	{args: []string{"rm", "svc", "fg"}, stdout: "^svc\nfg\n$"},

	// The container's command's status, and Docker's 126 and 127.
	{args: []string{"run", "--rm", "{{busybox}}", "sh", "-c", "exit 3"}, code: 3},
	{args: []string{"run", "--rm", "{{busybox}}", "no-such-command"}, code: 127},
	{args: []string{"run", "--rm", "{{busybox}}", "/etc"}, code: 126},

	// Failures: 1 for every command but run and create, with Docker's
	// words for what is missing.
	{args: []string{"rm", "nosuch"}, code: 1, stderr: "No such container: nosuch"},
	{args: []string{"stop", "nosuch"}, code: 1, stderr: "No such container: nosuch"},
	{args: []string{"start", "nosuch"}, code: 1, stderr: "No such container: nosuch"},
	{args: []string{"kill", "nosuch"}, code: 1, stderr: "No such container: nosuch"},
	{args: []string{"logs", "nosuch"}, code: 1, stderr: "No such container: nosuch"},
	{args: []string{"wait", "nosuch"}, code: 1, stderr: "No such container: nosuch"},
	{args: []string{"rename", "nosuch", "other"}, code: 1, stderr: "No such container: nosuch"},
	{args: []string{"cp", "nosuch:/etc/passwd", "{{dir}}"}, code: 1, stderr: "No such container: nosuch"},
	{args: []string{"export", "nosuch"}, code: 1, stderr: "No such container: nosuch"},
	{args: []string{"exec", "nosuch", "true"}, code: 1, stderr: "No such container: nosuch"},
	{args: []string{"inspect", "nosuch"}, code: 1, stdout: `^\[\]\n$`, stderr: "No such object: nosuch"},
	{args: []string{"rmi", "nosuch"}, code: 1, stderr: "No such image: nosuch"},
	{args: []string{"image", "inspect", "nosuch"}, code: 1, stderr: "No such image: nosuch"},
	{args: []string{"tag", "nosuch", "other"}, code: 1, stderr: "No such image: nosuch"},
	{args: []string{"network", "rm", "nosuch"}, code: 1, stderr: "network nosuch not found"},
	{args: []string{"network", "inspect", "nosuch"}, code: 1, stderr: "network nosuch not found"},
	{args: []string{"volume", "rm", "nosuch"}, code: 1, stderr: "no such volume"},
	{args: []string{"volume", "inspect", "nosuch"}, code: 1, stderr: "No such volume: nosuch"},
	{args: []string{"load", "-i", "{{dir}}/nothing.tar"}, code: 1, stderr: "nothing.tar"},
	{args: []string{"import", "{{dir}}/nothing.tar"}, code: 1, stderr: "nothing.tar"},
	{args: []string{"create", "--name", "dup", "{{busybox}}"}},
	{args: []string{"create", "--name", "dup", "{{busybox}}"}, code: 125, stderr: `"dup" is already in use`},
	{args: []string{"rm", "dup"}, stdout: "^dup\n$"},
	// Docker's CLI: an unknown command 1, a malformed command line 125.
	{args: []string{"nosuch"}, code: 1, stderr: "'nosuch' is not a urun command.\nSee 'urun --help'"},
	{args: []string{"network", "nosuch"}, code: 1, stderr: "'nosuch' is not a urun network command."},
	{args: []string{"rm", "--bogus", "x"}, code: 125, stderr: "unknown flag: --bogus"},
	{args: []string{"ps", "--last", "many"}, code: 125, stderr: `invalid argument "many"`},
	{args: []string{"run", "--bogus", "{{busybox}}"}, code: 125, stderr: "unknown flag: --bogus"},

	{args: []string{"--version"}, stdout: `^urun version \S+`},
	{args: []string{"version"}, stdout: `(?m)^ Version: +\S+$`},
}

func TestAScriptWrittenForDockerRunsWithUrun(t *testing.T) {
	e := containerEnv(t)
	dir := mkTemp(t)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "note"), []byte("from the host\n"), 0o644))
	t.Cleanup(func() { e.urun(t, "rm", "-f", "web", "web2", "dup", "svc", "fg") })
	expand := strings.NewReplacer("{{busybox}}", busyboxRef, "{{dir}}", dir)
	for _, step := range dockerScript {
		args := make([]string, len(step.args))
		for i, a := range step.args {
			args[i] = expand.Replace(a)
		}
		// Sequential: each step sees what the ones before it made; a
		// failed step does not stop the script.
		t.Run(shellQuote(step.args), func(t *testing.T) {
			res := e.urun(t, args...)
			assert.Equal(t, step.code, res.code, "exit status: %s", res.describe())
			if step.stdout != "" {
				assert.Regexp(t, regexp.MustCompile(step.stdout), res.stdout)
			}
			if step.stderr != "" {
				assert.Contains(t, res.stderr, step.stderr)
			}
			if step.jsonKeys != nil {
				for _, doc := range jsonObjects(t, res.stdout) {
					for _, key := range step.jsonKeys {
						assert.Contains(t, doc, key, "Docker's field %s", key)
					}
				}
			}
		})
	}
	back, err := os.ReadFile(filepath.Join(dir, "note-back"))
	if assert.NoError(t, err, "docker cp out of the container") {
		assert.Equal(t, "from the host\n", string(back))
	}
	assert.FileExists(t, filepath.Join(dir, "web2.tar"))
}

// jsonObjects reads out as Docker prints JSON: an array of objects
// (inspect), or one object a line (--format json, {{json .}}).
func jsonObjects(t *testing.T, out string) []map[string]any {
	t.Helper()
	var docs []map[string]any
	if strings.HasPrefix(strings.TrimSpace(out), "[") {
		require.NoError(t, json.Unmarshal([]byte(out), &docs), "a JSON array: %q", out)
	} else {
		for _, line := range lines(out) {
			var doc map[string]any
			require.NoError(t, json.Unmarshal([]byte(line), &doc), "a JSON object a line: %q", line)
			docs = append(docs, doc)
		}
	}
	require.NotEmpty(t, docs, "JSON objects in %q", out)
	return docs
}
