// Package docker holds the tests of estil's images and classroom set-ups (docker/Dockerfile,
// docker/install.sh, docker/classroom/). No image can be built where the tests run (no Docker
// engine, no registry), so they read the files and check that they agree with each other: the
// user and its uid, the versions pinned, the read-only mounts, the environment, the start
// command and the resource limits.
package docker

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// What a student gets, in every set-up (issue 19): 2 GB and 2 CPUs at most, 1 GB and 1 CPU
// guaranteed, the hub's single-user command, and the user of Jupyter's images.
const (
	wantMemLimit       = "2G"
	wantCPULimit       = 2.0
	wantMemGuarantee   = "1G"
	wantCPUGuarantee   = 1.0
	wantSingleuserCmd  = "jupyterhub-singleuser"
	wantUser           = "jovyan"
	wantUID            = 1000
	wantGID            = 100
	defaultPrefix      = "/opt/estil" // install.sh --system's default --prefix (the contract)
	classroomDir       = "classroom"
	dockerfilePath     = "Dockerfile"
	installPath        = "install.sh"
	hubDockerfilePath  = "classroom/hub.Dockerfile"
	composePath        = "classroom/compose.yaml"
	valuesPath         = "classroom/values.yaml"
	hubConfigPath      = "classroom/jupyterhub_config_docker.py"
	weightsK8sPath     = "classroom/weights-k8s.yaml"
	readmeSectionPath  = "../README.md" // its "In a classroom" section
	rosterExamplePath  = "classroom/roster.example.txt"
	rosterReaderPath   = "classroom/roster.py"
	hubImageRepository = "quay.io/jupyterhub/jupyterhub"
)

// classroomFiles is the text of every file the checks read, by path relative to docker/.
type classroomFiles map[string]string

func readClassroomFiles(t *testing.T) classroomFiles {
	t.Helper()
	files := classroomFiles{}
	for _, p := range []string{dockerfilePath, installPath, hubDockerfilePath, composePath, valuesPath,
		hubConfigPath, weightsK8sPath, readmeSectionPath} {
		b, err := os.ReadFile(filepath.FromSlash(p))
		if err != nil {
			t.Fatalf("reading docker/%s: %v", p, err)
		}
		files[p] = string(b)
	}
	return files
}

// TestClassroomFilesAgree is the static test of the classroom set-ups: each problem it reports
// names the files that disagree and what each says.
func TestClassroomFilesAgree(t *testing.T) {
	for _, p := range checkClassroom(readClassroomFiles(t)) {
		t.Error(p)
	}
}

// TestClassroomChecksCatchDisagreements mutates a copy of the files, one disagreement at a time,
// and asserts that the checks report it, so that the static test cannot pass by checking nothing.
func TestClassroomChecksCatchDisagreements(t *testing.T) {
	files := readClassroomFiles(t)
	baseline := map[string]bool{}
	for _, p := range checkClassroom(files) {
		baseline[p] = true
	}
	moveUserLast := func(s string) string {
		return strings.Replace(s, "USER jovyan\n", "", 1) + "USER jovyan\n"
	}
	for _, m := range []struct {
		name, file, old, new string
		edit                 func(string) string
		want                 string
	}{
		{name: "uid in the image", file: dockerfilePath, old: "--uid 1000", new: "--uid 1001", want: "uid"},
		{name: "gid in the image", file: dockerfilePath, old: "--gid 100 ", new: "--gid 1000 ", want: "gid"},
		{name: "user name", file: dockerfilePath, old: "--shell /bin/bash jovyan", new: "--shell /bin/bash student", want: "jovyan"},
		{name: "ubuntu kept", file: dockerfilePath, old: "RUN userdel --remove ubuntu\n", new: "", want: "ubuntu"},
		{name: "USER root", file: dockerfilePath, old: "USER jovyan\n", new: "USER root\n", want: "USER"},
		{name: "USER after CMD", file: dockerfilePath, edit: moveUserLast, want: "USER"},
		{name: "--allow-root", file: dockerfilePath, old: `"--no-browser",`, new: `"--no-browser", "--allow-root",`, want: "allow-root"},
		{name: "shell-form ENTRYPOINT", file: dockerfilePath, old: `ENTRYPOINT ["/opt/estil/bin/estil-session"]`, new: `ENTRYPOINT /opt/estil/bin/estil-session`, want: "ENTRYPOINT"},
		{name: "another ENTRYPOINT", file: dockerfilePath, old: `ENTRYPOINT ["/opt/estil/bin/estil-session"]`, new: `ENTRYPOINT ["/usr/bin/tini", "--"]`, want: "ENTRYPOINT"},
		{name: "GOMLX_NO_AUTO_INSTALL", file: dockerfilePath, old: "ENV GOMLX_NO_AUTO_INSTALL=1", new: "ENV GOMLX_NO_AUTO_INSTALL=0", want: "GOMLX_NO_AUTO_INSTALL"},
		{name: "PJRT_PLUGIN_LIBRARY_PATH", file: dockerfilePath, old: "PJRT_PLUGIN_LIBRARY_PATH=/usr/local/lib/go-xla", new: "PJRT_PLUGIN_PATH=/usr/local/lib/go-xla", want: "PJRT_PLUGIN_LIBRARY_PATH"},
		{name: "ESTIL_CACHE_DIR", file: dockerfilePath, old: "ESTIL_CACHE_DIR=/opt/estil/weights", new: "ESTIL_CACHE_DIR=/opt/estil/cache", want: "ESTIL_CACHE_DIR"},
		{name: "ESTIL_ROOT", file: dockerfilePath, old: "ESTIL_ROOT=/opt/estil/src", new: "ESTIL_ROOT=/opt/estil/module", want: "ESTIL_ROOT"},
		{name: "install prefix", file: dockerfilePath, old: "RUN /tmp/estil-build/docker/install.sh --system", new: "RUN /tmp/estil-build/docker/install.sh --system --prefix /srv/estil", want: "prefix"},
		{name: "no system install", file: dockerfilePath, old: "RUN /tmp/estil-build/docker/install.sh --system", new: "RUN /tmp/estil-build/docker/install.sh", want: "--system"},
		{name: "jupyterhub in install.sh", file: installPath, old: "JUPYTERHUB_VERSION=5.5.0", new: "JUPYTERHUB_VERSION=5.4.6", want: "JUPYTERHUB_VERSION"},
		{name: "jupyterhub not installed", file: installPath, old: `"jupyterhub==$JUPYTERHUB_VERSION"`, new: "jupyterhub", want: "JUPYTERHUB_VERSION"},
		{name: "hub image tag", file: hubDockerfilePath, old: "FROM quay.io/jupyterhub/jupyterhub:5.5.0", new: "FROM quay.io/jupyterhub/jupyterhub:5.4.6", want: "hub image"},
		{name: "hub image latest", file: hubDockerfilePath, old: "FROM quay.io/jupyterhub/jupyterhub:5.5.0", new: "FROM quay.io/jupyterhub/jupyterhub:latest", want: "hub image"},
		{name: "unpinned spawner", file: hubDockerfilePath, old: "dockerspawner==14.0.0", new: "dockerspawner", want: "dockerspawner"},
		{name: "chart's hub", file: valuesPath, old: "(jupyterhub 5.5.0)", new: "(jupyterhub 5.4.6)", want: "chart"},
		{name: "helm --version", file: readmeSectionPath, old: "--version 4.4.0", new: "--version 4.3.5", want: "--version"},
		{name: "values uid", file: valuesPath, old: "uid: 1000", new: "uid: 1001", want: "singleuser.uid"},
		{name: "values fsGid", file: valuesPath, old: "fsGid: 100", new: "fsGid: 1000", want: "fsGid"},
		{name: "values image", file: valuesPath, old: "tag: classroom", new: "tag: latest", want: "image"},
		{name: "compose image", file: composePath, old: "image: estil:classroom", new: "image: estil:dev", want: "image"},
		{name: "spawner image", file: hubConfigPath, old: `c.DockerSpawner.image = "estil:classroom"`, new: `c.DockerSpawner.image = "estil:dev"`, want: "image"},
		{name: "values cmd", file: valuesPath, old: "cmd: jupyterhub-singleuser", new: "cmd: start-notebook.py", want: "cmd"},
		{name: "spawner cmd", file: hubConfigPath, old: `c.DockerSpawner.cmd = ["jupyterhub-singleuser"]`, new: `c.DockerSpawner.cmd = ["jupyter", "lab"]`, want: "cmd"},
		{name: "spawner memory", file: hubConfigPath, old: `c.DockerSpawner.mem_limit = "2G"`, new: `c.DockerSpawner.mem_limit = "4G"`, want: "mem_limit"},
		{name: "spawner cpu", file: hubConfigPath, old: "c.DockerSpawner.cpu_limit = 2\n", new: "c.DockerSpawner.cpu_limit = 4\n", want: "cpu_limit"},
		{name: "values memory", file: valuesPath, old: "limit: 2G", new: "limit: 3G", want: "memory.limit"},
		{name: "values cpu", file: valuesPath, old: "guarantee: 1\n    limit: 2\n", new: "guarantee: 1\n    limit: 4\n", want: "cpu.limit"},
		{name: "weights writable by students (docker)", file: hubConfigPath, old: `c.DockerSpawner.read_only_volumes = {"estil-weights": "/opt/estil/weights"}`, new: `c.DockerSpawner.read_only_volumes = {}`, want: "read-only"},
		{name: "weights rw volume (docker)", file: hubConfigPath, old: `{"estil-home-{username}": "/home/jovyan"}`, new: `{"estil-home-{username}": "/home/jovyan", "estil-weights": "/opt/estil/weights"}`, want: "read-only"},
		{name: "weights volume name (compose)", file: composePath, old: "name: estil-weights", new: "name: weights", want: "weights"},
		{name: "weights writable by students (values)", file: valuesPath, old: "mountPath: /opt/estil/weights\n        readOnly: true", new: "mountPath: /opt/estil/weights\n        readOnly: false", want: "read-only"},
		{name: "weights claim (values)", file: valuesPath, old: "claimName: estil-weights", new: "claimName: weights", want: "claim"},
		{name: "weights job image", file: weightsK8sPath, old: "image: estil:classroom", new: "image: estil:dev", want: "image"},
		{name: "no remove", file: hubConfigPath, old: "c.DockerSpawner.remove = True", new: "c.DockerSpawner.remove = False", want: "remove"},
		{name: "network", file: hubConfigPath, old: `c.DockerSpawner.network_name = "estil-classroom"`, new: `c.DockerSpawner.network_name = "classroom"`, want: "network"},
		{name: "roster mount", file: composePath, old: "target: /srv/jupyterhub/roster.txt", new: "target: /srv/roster.txt", want: "roster"},
	} {
		t.Run(m.name, func(t *testing.T) {
			mutated := maps.Clone(files)
			if m.edit != nil {
				mutated[m.file] = m.edit(files[m.file])
			} else {
				if !strings.Contains(files[m.file], m.old) {
					t.Fatalf("docker/%s no longer contains %q: update this mutation", m.file, m.old)
				}
				mutated[m.file] = strings.Replace(files[m.file], m.old, m.new, 1)
			}
			var fresh []string
			for _, p := range checkClassroom(mutated) {
				if !baseline[p] {
					fresh = append(fresh, p)
				}
			}
			if len(fresh) == 0 {
				t.Fatalf("the checks did not notice the change")
			}
			if !slices.ContainsFunc(fresh, func(p string) bool { return strings.Contains(p, m.want) }) {
				t.Errorf("no new problem mentions %q; new problems:\n%s", m.want, strings.Join(fresh, "\n"))
			}
		})
	}
}

// classroomCheck carries what the checks learn from one file to the next, and the problems.
type classroomCheck struct {
	files        classroomFiles
	problems     []string
	prefix       string            // where install.sh --system installs, in the image
	uid, gid     string            // jovyan's, in the image
	env          map[string]string // the image's ENV
	inst         installScript
	hub          dockerfile // hub.Dockerfile
	spawnerImage string     // c.DockerSpawner.image
}

// checkClassroom returns every disagreement between the files, each in one sentence.
func checkClassroom(files classroomFiles) []string {
	ck := &classroomCheck{files: files}
	ck.image()
	ck.versions()
	ck.dockerHost()
	ck.kubernetes()
	return ck.problems
}

func (ck *classroomCheck) fail(format string, args ...any) {
	ck.problems = append(ck.problems, fmt.Sprintf(format, args...))
}

// image checks docker/Dockerfile, and the paths it shares with install.sh.
func (ck *classroomCheck) image() {
	files := ck.files
	img := parseDockerfile(files[dockerfilePath])
	prefix := defaultPrefix
	if run, ok := img.find("RUN", func(args string) bool { return strings.Contains(args, "docker/install.sh") }); !ok {
		ck.fail("docker/Dockerfile: no RUN runs docker/install.sh")
	} else {
		words := shellWords(run.args)
		if !slices.Contains(words, "--system") {
			ck.fail("docker/Dockerfile line %d: docker/install.sh runs without --system (the system-wide install every student can use)", run.line)
		}
		if i := slices.Index(words, "--prefix"); i >= 0 && i+1 < len(words) {
			prefix = words[i+1]
		}
		if prefix != defaultPrefix {
			ck.fail("docker/Dockerfile line %d: install.sh --system --prefix %s, but the image's ENV, ENTRYPOINT, compose.yaml and values.yaml use %s", run.line, prefix, defaultPrefix)
			prefix = defaultPrefix
		}
	}
	uid, gid, user, userLine := img.useradd()
	switch {
	case userLine == 0:
		ck.fail("docker/Dockerfile: no RUN creates the user %s with useradd", wantUser)
	default:
		if user != wantUser {
			ck.fail("docker/Dockerfile line %d: useradd creates %q; hubs run the user %s", userLine, user, wantUser)
		}
		if uid != strconv.Itoa(wantUID) {
			ck.fail("docker/Dockerfile line %d: useradd gives %s the uid %q; DockerSpawner and values.yaml (singleuser.uid) expect %d", userLine, user, uid, wantUID)
		}
		if gid != strconv.Itoa(wantGID) {
			ck.fail("docker/Dockerfile line %d: useradd gives %s the gid %q; values.yaml's singleuser.fsGid gives the home to group %d", userLine, user, gid, wantGID)
		}
		if del, ok := img.find("RUN", func(args string) bool {
			w := shellWords(args)
			return slices.Contains(w, "userdel") && slices.Contains(w, "ubuntu")
		}); !ok || del.line > userLine {
			ck.fail("docker/Dockerfile: Ubuntu's user ubuntu (uid 1000) is not removed (userdel ubuntu) before useradd creates %s with that uid", wantUser)
		}
	}
	entry, entryOK := img.last("ENTRYPOINT")
	cmd, cmdOK := img.last("CMD")
	lastUser, userOK := img.last("USER")
	if !userOK || lastUser.args != wantUser {
		ck.fail("docker/Dockerfile: the last USER is %q, not %s: the image would run as root", lastUser.args, wantUser)
	} else {
		for _, in := range []instruction{entry, cmd} {
			if in.line != 0 && in.line < lastUser.line {
				ck.fail("docker/Dockerfile: %s (line %d) comes before USER %s (line %d)", in.cmd, in.line, wantUser, lastUser.line)
			}
		}
	}
	wantEntry := []string{path.Join(prefix, "bin/estil-session")}
	if !entryOK {
		ck.fail("docker/Dockerfile: no ENTRYPOINT; it must be %q in exec form", wantEntry)
	} else if argv, ok := execForm(entry.args); !ok {
		ck.fail("docker/Dockerfile line %d: ENTRYPOINT %s is in shell form: /bin/sh -c would be PID 1 and neither forward signals nor run the hub's command; use exec form %q", entry.line, entry.args, wantEntry)
	} else if !slices.Equal(argv, wantEntry) {
		ck.fail("docker/Dockerfile line %d: ENTRYPOINT is %q, want %q (estil-session, which install.sh --system puts in %s/bin)", entry.line, argv, wantEntry, prefix)
	}
	if !cmdOK {
		ck.fail("docker/Dockerfile: no CMD (the standalone JupyterLab)")
	} else if argv, ok := execForm(cmd.args); !ok {
		ck.fail("docker/Dockerfile line %d: CMD %s is in shell form; use exec form", cmd.line, cmd.args)
	} else if len(argv) < 2 || !(argv[0] == "jupyter" && argv[1] == "lab") && argv[0] != "jupyter-lab" {
		ck.fail("docker/Dockerfile line %d: CMD %q does not start JupyterLab", cmd.line, argv)
	}
	for _, in := range img.instructions {
		if strings.Contains(in.args, "allow-root") || strings.Contains(in.args, "allow_root") {
			ck.fail("docker/Dockerfile line %d: %s %s: no --allow-root, the image runs as %s", in.line, in.cmd, in.args, wantUser)
		}
	}
	env := img.env()
	if env["GOMLX_NO_AUTO_INSTALL"] != "1" {
		ck.fail("docker/Dockerfile: ENV GOMLX_NO_AUTO_INSTALL is %q, want 1 (use the baked PJRT plugins, download none)", env["GOMLX_NO_AUTO_INSTALL"])
	}
	inst := parseInstall(files[installPath])
	if pjrt := env["PJRT_PLUGIN_LIBRARY_PATH"]; pjrt == "" {
		ck.fail("docker/Dockerfile: ENV PJRT_PLUGIN_LIBRARY_PATH is not set (where install.sh puts XLA's PJRT plugins: %s)", inst.pjrtDir)
	} else if inst.pjrtDir == "" {
		ck.fail("docker/install.sh: no `docker/pjrt -dir DIR` step installs XLA's PJRT plugins")
	} else if pjrt != inst.pjrtDir {
		ck.fail("docker/Dockerfile: ENV PJRT_PLUGIN_LIBRARY_PATH=%s, but install.sh puts XLA's PJRT plugins in %s", pjrt, inst.pjrtDir)
	}
	for name, rel := range map[string]string{"ESTIL_CACHE_DIR": "weights", "ESTIL_ROOT": "src", "GOMODCACHE": "go/pkg/mod"} {
		if got, want := env[name], path.Join(prefix, rel); got != want && (got != "" || name != "GOMODCACHE") {
			ck.fail("docker/Dockerfile: ENV %s=%s, but install.sh --system puts it in %s", name, got, want)
		}
	}
	pathDirs := strings.Split(env["PATH"], ":")
	if !slices.Contains(pathDirs, path.Join(prefix, "bin")) {
		ck.fail("docker/Dockerfile: ENV PATH=%s lacks %s/bin (estil, gonb, estil-session)", env["PATH"], prefix)
	}
	if inst.venv != "" && !slices.Contains(pathDirs, path.Join(inst.venv, "bin")) {
		ck.fail("docker/Dockerfile: ENV PATH=%s lacks %s/bin, where install.sh installs jupyterhub-singleuser (the hubs' command) and jupyter", env["PATH"], inst.venv)
	}
	ck.problems = append(ck.problems, inst.checkLayout(env, prefix)...)
	ck.prefix, ck.uid, ck.gid, ck.env, ck.inst = prefix, uid, gid, env, inst
}

// versions checks that the hub, the students' jupyterhub-singleuser and the chart agree.
func (ck *classroomCheck) versions() {
	files, inst := ck.files, ck.inst
	if inst.jupyterhub == "" {
		ck.fail("docker/install.sh: no line JUPYTERHUB_VERSION=x.y.z near its top")
	} else if !inst.jupyterhubInstalled {
		ck.fail("docker/install.sh: JUPYTERHUB_VERSION=%s is not what pip installs (want \"jupyterhub==$JUPYTERHUB_VERSION\" in its pip install)", inst.jupyterhub)
	}
	hub := parseDockerfile(files[hubDockerfilePath])
	hubTag := ""
	if from, ok := hub.last("FROM"); !ok {
		ck.fail("docker/classroom/hub.Dockerfile: no FROM")
	} else if repo, tag, _ := strings.Cut(from.args, ":"); repo != hubImageRepository || !regexp.MustCompile(`^\d+\.\d+\.\d+$`).MatchString(tag) {
		ck.fail("docker/classroom/hub.Dockerfile: the hub image is FROM %s, want %s:x.y.z (a pinned JupyterHub version)", from.args, hubImageRepository)
	} else {
		hubTag = tag
	}
	if hubTag != "" && inst.jupyterhub != "" && hubTag != inst.jupyterhub {
		ck.fail("JupyterHub versions differ: the hub image in docker/classroom/hub.Dockerfile is %s, docker/install.sh's JUPYTERHUB_VERSION (the students' jupyterhub-singleuser) is %s", hubTag, inst.jupyterhub)
	}
	pins := hub.pipPins()
	for _, pkg := range []string{"dockerspawner", "jupyterhub-idle-culler"} {
		if _, ok := pins[pkg]; !ok {
			ck.fail("docker/classroom/hub.Dockerfile: %s is not installed with a pinned version (pip install %s==x.y.z)", pkg, pkg)
		}
	}
	if !slices.ContainsFunc(slices.Collect(maps.Keys(pins)), func(p string) bool { return strings.Contains(p, "authenticator") }) {
		ck.fail("docker/classroom/hub.Dockerfile: no authenticator is installed with a pinned version")
	}
	for pkg, v := range pins {
		if v == "" {
			ck.fail("docker/classroom/hub.Dockerfile: pip installs %s without a version (pin it: %s==x.y.z)", pkg, pkg)
		}
	}
	if v, ok := pins["jupyterhub"]; ok && hubTag != "" && v != hubTag {
		ck.fail("docker/classroom/hub.Dockerfile: pip pins jupyterhub==%s in the hub image %s:%s", v, hubImageRepository, hubTag)
	}
	chart, chartHub := "", ""
	if m := regexp.MustCompile(`(?m)^#\s*z2jh-chart:\s*(\S+)\s*\(jupyterhub\s+([^)\s]+)\)`).FindStringSubmatch(files[valuesPath]); m == nil {
		ck.fail("docker/classroom/values.yaml: no comment line `# z2jh-chart: X.Y.Z (jupyterhub A.B.C)` records the chart's version")
	} else {
		chart, chartHub = m[1], m[2]
		if chartHub != inst.jupyterhub || chartHub != hubTag {
			ck.fail("JupyterHub versions differ: the Zero to JupyterHub chart %s in docker/classroom/values.yaml runs JupyterHub %s, the Docker host's hub image is %s, docker/install.sh's JUPYTERHUB_VERSION is %s", chart, chartHub, hubTag, inst.jupyterhub)
		}
	}
	helmVersion := regexp.MustCompile(`--version[= ]+([0-9][^\s\\]*)`)
	for _, p := range []string{valuesPath, readmeSectionPath} {
		ms := helmVersion.FindAllStringSubmatch(files[p], -1)
		if len(ms) == 0 {
			ck.fail("docker/%s: no helm command with --version %s", p, chart)
		}
		for _, m := range ms {
			if chart != "" && m[1] != chart {
				ck.fail("docker/%s: helm --version %s, but values.yaml is written for chart %s", p, m[1], chart)
			}
		}
	}
	ck.hub = hub
}

// dockerHost checks the hub's configuration and compose.yaml against the image.
func (ck *classroomCheck) dockerHost() {
	files, prefix, hub := ck.files, ck.prefix, ck.hub
	weightsDir := path.Join(prefix, "weights")
	conf := parsePyConfig(files[hubConfigPath])
	spawnerImage, _ := conf.str("DockerSpawner.image")
	if spawnerImage == "" {
		ck.fail("docker/classroom/jupyterhub_config_docker.py: no c.DockerSpawner.image = \"NAME:TAG\"")
	}
	if c, ok := conf.list("DockerSpawner.cmd"); !ok || !slices.Equal(c, []string{wantSingleuserCmd}) {
		ck.fail("docker/classroom/jupyterhub_config_docker.py: c.DockerSpawner.cmd is %s, want [%q]", conf.raw["DockerSpawner.cmd"], wantSingleuserCmd)
	}
	if c, ok := conf.raw["Spawner.cmd"]; ok {
		ck.fail("docker/classroom/jupyterhub_config_docker.py: c.Spawner.cmd = %s; set the command once, in c.DockerSpawner.cmd", c)
	}
	if v, _ := conf.str("DockerSpawner.mem_limit"); !sameBytes(v, wantMemLimit) {
		ck.fail("docker/classroom/jupyterhub_config_docker.py: c.DockerSpawner.mem_limit is %q, want %q (as values.yaml's singleuser.memory.limit)", v, wantMemLimit)
	}
	if v, ok := conf.number("DockerSpawner.cpu_limit"); !ok || v != wantCPULimit {
		ck.fail("docker/classroom/jupyterhub_config_docker.py: c.DockerSpawner.cpu_limit is %s, want %v (as values.yaml's singleuser.cpu.limit)", conf.raw["DockerSpawner.cpu_limit"], wantCPULimit)
	}
	if v, _ := conf.str("DockerSpawner.mem_guarantee"); !sameBytes(v, wantMemGuarantee) {
		ck.fail("docker/classroom/jupyterhub_config_docker.py: c.DockerSpawner.mem_guarantee is %q, want %q", v, wantMemGuarantee)
	}
	if v, ok := conf.number("DockerSpawner.cpu_guarantee"); !ok || v != wantCPUGuarantee {
		ck.fail("docker/classroom/jupyterhub_config_docker.py: c.DockerSpawner.cpu_guarantee is %s, want %v", conf.raw["DockerSpawner.cpu_guarantee"], wantCPUGuarantee)
	}
	if conf.raw["DockerSpawner.remove"] != "True" {
		ck.fail("docker/classroom/jupyterhub_config_docker.py: c.DockerSpawner.remove is %q, want True (a stopped server's container goes, its home volume stays)", conf.raw["DockerSpawner.remove"])
	}
	rw, _ := conf.dict("DockerSpawner.volumes")
	ro, _ := conf.dict("DockerSpawner.read_only_volumes")
	if rw["estil-home-{username}"] != "/home/jovyan" {
		ck.fail("docker/classroom/jupyterhub_config_docker.py: c.DockerSpawner.volumes is %s; each student needs their own volume estil-home-{username} at /home/jovyan", conf.raw["DockerSpawner.volumes"])
	}
	spawnerWeights := ""
	for vol, target := range ro {
		if target == weightsDir {
			spawnerWeights = vol
		}
	}
	if spawnerWeights == "" {
		ck.fail("docker/classroom/jupyterhub_config_docker.py: the weights are not mounted read-only at %s (ESTIL_CACHE_DIR): c.DockerSpawner.read_only_volumes is %s", weightsDir, conf.raw["DockerSpawner.read_only_volumes"])
	}
	for vol, target := range rw {
		if target == weightsDir || vol == spawnerWeights {
			ck.fail("docker/classroom/jupyterhub_config_docker.py: c.DockerSpawner.volumes mounts %s at %s read-write: the students' weights must be read-only", vol, target)
		}
	}
	for _, key := range []string{"Spawner.args", "DockerSpawner.args"} {
		if a := conf.raw[key]; strings.Contains(a, "allow-root") || strings.Contains(a, "allow_root") {
			ck.fail("docker/classroom/jupyterhub_config_docker.py: c.%s = %s: no --allow-root, the image runs as %s", key, a, wantUser)
		}
	}

	compose, err := parseYAML(files[composePath])
	if err != nil {
		ck.fail("docker/classroom/compose.yaml: %v", err)
	}
	services := yamlMap(compose, "services")
	volumeNames := map[string]string{} // compose's key -> the volume's name on the Docker host
	for key := range yamlMap(compose, "volumes") {
		name := yamlString(compose, "volumes", key, "name")
		if name == "" {
			name = key // without name:, compose would prefix the project's name
			ck.fail("docker/classroom/compose.yaml: volume %s has no name:, so compose prefixes it with the project's name and DockerSpawner, which names volumes itself, would not find it", key)
		}
		volumeNames[key] = name
	}
	var imageServices []string
	composeWeights := ""
	for name := range services {
		image := yamlString(services, name, "image")
		dockerfile := yamlString(services, name, "build", "dockerfile")
		context := yamlString(services, name, "build", "context")
		if dockerfile != "" && path.Clean(path.Join(classroomDir, context, dockerfile)) == path.Clean(path.Join("..", "docker", dockerfilePath)) {
			imageServices = append(imageServices, name)
			if image != spawnerImage {
				ck.fail("docker/classroom/compose.yaml: service %s builds docker/Dockerfile as image %q, but jupyterhub_config_docker.py's c.DockerSpawner.image is %q", name, image, spawnerImage)
			}
		}
		for _, v := range yamlList(services, name, "volumes") {
			source, target, readOnly := composeMount(v)
			if target != weightsDir {
				continue
			}
			entry := append(yamlStrings(services, name, "entrypoint"), yamlStrings(services, name, "command")...)
			oneShot := slices.Equal(entry, []string{path.Join(prefix, "bin/estil"), "weights"})
			if !readOnly && !oneShot {
				ck.fail("docker/classroom/compose.yaml: service %s mounts the weights at %s read-write; only the one-shot `estil weights` may", name, target)
			}
			if oneShot {
				composeWeights = volumeNames[source]
				if composeWeights == "" {
					composeWeights = source
				}
			}
		}
	}
	if len(imageServices) == 0 {
		ck.fail("docker/classroom/compose.yaml: no service builds the students' image from docker/Dockerfile (build: context ../.., dockerfile docker/Dockerfile)")
	}
	if composeWeights == "" {
		ck.fail("docker/classroom/compose.yaml: no one-shot service runs [%s/bin/estil weights] with the weights volume at %s", prefix, weightsDir)
	} else if spawnerWeights != "" && composeWeights != spawnerWeights {
		ck.fail("the weights volume: compose.yaml's one-shot fills %q, jupyterhub_config_docker.py mounts %q for the students", composeWeights, spawnerWeights)
	}
	hubService := ""
	for name := range services {
		if path.Base(yamlString(services, name, "build", "dockerfile")) == path.Base(hubDockerfilePath) {
			hubService = name
		}
	}
	if hubService == "" {
		ck.fail("docker/classroom/compose.yaml: no service builds the hub from hub.Dockerfile")
	} else {
		mounts := map[string]string{} // target -> source
		for _, v := range yamlList(services, hubService, "volumes") {
			source, target, _ := composeMount(v)
			mounts[target] = source
		}
		if mounts["/var/run/docker.sock"] != "/var/run/docker.sock" {
			ck.fail("docker/classroom/compose.yaml: the hub does not mount the Docker socket, which DockerSpawner needs")
		}
		hubCmd, _ := hub.last("CMD")
		argv, _ := execForm(hubCmd.args)
		if i := slices.Index(argv, "-f"); i < 0 || i+1 >= len(argv) || path.Base(mounts[argv[i+1]]) != path.Base(hubConfigPath) {
			ck.fail("docker/classroom/compose.yaml: the hub's configuration file (hub.Dockerfile's CMD %q) is not jupyterhub_config_docker.py mounted there", argv)
		}
		rosterPath := regexp.MustCompile(`read_roster\(os\.environ\.get\("ESTIL_ROSTER",\s*"([^"]+)"\)\)`).FindStringSubmatch(files[hubConfigPath])
		if rosterPath == nil {
			ck.fail("docker/classroom/jupyterhub_config_docker.py: the roster's path is not read_roster(os.environ.get(\"ESTIL_ROSTER\", \"PATH\"))")
		} else if path.Base(mounts[rosterPath[1]]) != "roster.txt" {
			ck.fail("docker/classroom/compose.yaml: the roster is not mounted in the hub at %s, where jupyterhub_config_docker.py reads it", rosterPath[1])
		}
		network, _ := conf.str("DockerSpawner.network_name")
		composeNetworks := map[string]bool{}
		for key := range yamlMap(compose, "networks") {
			_, inMap := yamlMap(services, hubService, "networks")[key]
			composeNetworks[yamlString(compose, "networks", key, "name")] = inMap || slices.Contains(yamlStrings(services, hubService, "networks"), key)
		}
		if !composeNetworks[network] {
			ck.fail("docker/classroom/jupyterhub_config_docker.py: c.DockerSpawner.network_name is %q, not a network of compose.yaml's hub (named with name:)", network)
		}
		if connect, _ := conf.str("JupyterHub.hub_connect_ip"); connect != yamlString(services, hubService, "container_name") {
			ck.fail("docker/classroom/jupyterhub_config_docker.py: c.JupyterHub.hub_connect_ip is %q, but compose.yaml names the hub's container %q", connect, yamlString(services, hubService, "container_name"))
		}
	}
	ck.spawnerImage = spawnerImage
}

// kubernetes checks values.yaml (Zero to JupyterHub) and weights-k8s.yaml against the image and
// the Docker host.
func (ck *classroomCheck) kubernetes() {
	files, uid, gid, spawnerImage := ck.files, ck.uid, ck.gid, ck.spawnerImage
	weightsDir := path.Join(ck.prefix, "weights")
	values, err := parseYAML(files[valuesPath])
	if err != nil {
		ck.fail("docker/classroom/values.yaml: %v", err)
	}
	valuesImage := yamlString(values, "singleuser", "image", "name") + ":" + yamlString(values, "singleuser", "image", "tag")
	if valuesImage != spawnerImage {
		ck.fail("the students' image: values.yaml's singleuser.image is %q, jupyterhub_config_docker.py's c.DockerSpawner.image (and compose.yaml) %q", valuesImage, spawnerImage)
	}
	if got := yamlString(values, "singleuser", "uid"); got != strconv.Itoa(wantUID) || got != uid {
		ck.fail("docker/classroom/values.yaml: singleuser.uid is %q, docker/Dockerfile gives %s the uid %q (want %d)", got, wantUser, uid, wantUID)
	}
	if got := yamlString(values, "singleuser", "fsGid"); got != strconv.Itoa(wantGID) || got != gid {
		ck.fail("docker/classroom/values.yaml: singleuser.fsGid is %q, docker/Dockerfile gives %s the gid %q (want %d)", got, wantUser, gid, wantGID)
	}
	valuesCmd := yamlStrings(values, "singleuser", "cmd")
	if !slices.Equal(valuesCmd, []string{wantSingleuserCmd}) {
		ck.fail("docker/classroom/values.yaml: singleuser.cmd is %q, want %q (as c.DockerSpawner.cmd)", valuesCmd, wantSingleuserCmd)
	}
	if v := yamlString(values, "singleuser", "memory", "limit"); !sameBytes(v, wantMemLimit) {
		ck.fail("docker/classroom/values.yaml: singleuser.memory.limit is %q, want %q (as c.DockerSpawner.mem_limit)", v, wantMemLimit)
	}
	if v := yamlString(values, "singleuser", "memory", "guarantee"); !sameBytes(v, wantMemGuarantee) {
		ck.fail("docker/classroom/values.yaml: singleuser.memory.guarantee is %q, want %q", v, wantMemGuarantee)
	}
	if v, err := strconv.ParseFloat(yamlString(values, "singleuser", "cpu", "limit"), 64); err != nil || v != wantCPULimit {
		ck.fail("docker/classroom/values.yaml: singleuser.cpu.limit is %q, want %v (as c.DockerSpawner.cpu_limit)", yamlString(values, "singleuser", "cpu", "limit"), wantCPULimit)
	}
	if v, err := strconv.ParseFloat(yamlString(values, "singleuser", "cpu", "guarantee"), 64); err != nil || v != wantCPUGuarantee {
		ck.fail("docker/classroom/values.yaml: singleuser.cpu.guarantee is %q, want %v", yamlString(values, "singleuser", "cpu", "guarantee"), wantCPUGuarantee)
	}
	if home := yamlString(values, "singleuser", "storage", "homeMountPath"); home != "" && home != "/home/"+wantUser {
		ck.fail("docker/classroom/values.yaml: singleuser.storage.homeMountPath is %q, %s's home is /home/%s", home, wantUser, wantUser)
	}
	claim := ""
	volumes := map[string]map[string]any{}
	for _, v := range yamlEntries(values, "singleuser", "storage", "extraVolumes") {
		if name, _ := v["name"].(string); name != "" {
			volumes[name] = v
		}
	}
	weightsMounted := false
	for _, m := range yamlEntries(values, "singleuser", "storage", "extraVolumeMounts") {
		if m["mountPath"] != weightsDir {
			continue
		}
		weightsMounted = true
		name, _ := m["name"].(string)
		if m["readOnly"] != true {
			ck.fail("docker/classroom/values.yaml: the weights' mount at %s (singleuser.storage.extraVolumeMounts) is not read-only (readOnly: true)", weightsDir)
		}
		pvc, _ := volumes[name]["persistentVolumeClaim"].(map[string]any)
		claim, _ = pvc["claimName"].(string)
		if claim == "" {
			ck.fail("docker/classroom/values.yaml: the weights' volume %q is not a persistentVolumeClaim with a claimName", name)
		} else if pvc["readOnly"] != true {
			ck.fail("docker/classroom/values.yaml: the weights' claim %s is not read-only (persistentVolumeClaim.readOnly: true)", claim)
		}
	}
	if !weightsMounted {
		ck.fail("docker/classroom/values.yaml: nothing in singleuser.storage.extraVolumeMounts mounts the weights read-only at %s (ESTIL_CACHE_DIR)", weightsDir)
	}
	if a := yamlString(values, "singleuser", "cmd"); strings.Contains(a, "allow-root") {
		ck.fail("docker/classroom/values.yaml: singleuser.cmd %q: no --allow-root", a)
	}
	k8sClaim, jobImage, jobMount := "", "", ""
	for _, doc := range strings.Split(files[weightsK8sPath], "\n---\n") {
		obj, err := parseYAML(doc)
		if err != nil {
			ck.fail("docker/classroom/weights-k8s.yaml: %v", err)
			continue
		}
		switch yamlString(obj, "kind") {
		case "PersistentVolumeClaim":
			k8sClaim = yamlString(obj, "metadata", "name")
		case "Job":
			containers := yamlList(obj, "spec", "template", "spec", "containers")
			if len(containers) == 1 {
				c, _ := containers[0].(map[string]any)
				jobImage, _ = c["image"].(string)
				for _, m := range yamlList(c, "volumeMounts") {
					if mm, _ := m.(map[string]any); mm["readOnly"] != true {
						jobMount, _ = mm["mountPath"].(string)
					}
				}
			}
		}
	}
	if k8sClaim == "" || k8sClaim != claim {
		ck.fail("the weights' claim: weights-k8s.yaml creates %q, values.yaml mounts %q", k8sClaim, claim)
	}
	if jobImage != valuesImage {
		ck.fail("docker/classroom/weights-k8s.yaml: the Job that fills the weights runs image %q, values.yaml's students %q", jobImage, valuesImage)
	}
	if jobMount != weightsDir {
		ck.fail("docker/classroom/weights-k8s.yaml: the Job mounts the weights read-write at %q, want %s (ESTIL_CACHE_DIR)", jobMount, weightsDir)
	}
}

// Dockerfiles.

type instruction struct {
	cmd  string // upper case: FROM, RUN, ENV, ...
	args string
	line int // where it starts, from 1
}

type dockerfile struct{ instructions []instruction }

// parseDockerfile splits a Dockerfile into its instructions, joining continuation lines and
// leaving out comments (also those inside a continuation, as Docker does).
func parseDockerfile(src string) dockerfile {
	var d dockerfile
	var cur *instruction
	for i, line := range strings.Split(src, "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") || (trimmed == "" && cur == nil) {
			continue
		}
		if cur == nil {
			word, rest, _ := strings.Cut(trimmed, " ")
			cur = &instruction{cmd: strings.ToUpper(word), line: i + 1}
			trimmed = strings.TrimSpace(rest)
		}
		if strings.HasSuffix(trimmed, `\`) {
			cur.args += strings.TrimSuffix(trimmed, `\`) + " "
			continue
		}
		cur.args = strings.TrimSpace(cur.args + trimmed)
		d.instructions = append(d.instructions, *cur)
		cur = nil
	}
	return d
}

func (d dockerfile) find(cmd string, match func(args string) bool) (instruction, bool) {
	for _, in := range d.instructions {
		if in.cmd == cmd && match(in.args) {
			return in, true
		}
	}
	return instruction{}, false
}

func (d dockerfile) last(cmd string) (instruction, bool) {
	for i := len(d.instructions) - 1; i >= 0; i-- {
		if d.instructions[i].cmd == cmd {
			return d.instructions[i], true
		}
	}
	return instruction{}, false
}

// env returns the variables the ENV instructions set (KEY=VALUE pairs, or the old KEY VALUE).
func (d dockerfile) env() map[string]string {
	env := map[string]string{}
	for _, in := range d.instructions {
		if in.cmd != "ENV" {
			continue
		}
		words := shellWords(in.args)
		if len(words) > 0 && !strings.Contains(words[0], "=") {
			env[words[0]] = strings.Join(words[1:], " ")
			continue
		}
		for _, w := range words {
			k, v, _ := strings.Cut(w, "=")
			env[k] = v
		}
	}
	return env
}

// useradd returns the uid, gid and name that a RUN's useradd gives, and the RUN's line.
func (d dockerfile) useradd() (uid, gid, user string, line int) {
	withValue := map[string]string{"-u": "uid", "--uid": "uid", "-g": "gid", "--gid": "gid"}
	for _, o := range []string{"-d", "--home-dir", "-s", "--shell", "-G", "--groups", "-c", "--comment",
		"-k", "--skel", "-K", "--key", "-e", "--expiredate", "-f", "--inactive", "-p", "--password", "-b", "--base-dir"} {
		withValue[o] = ""
	}
	for _, in := range d.instructions {
		words := shellWords(in.args)
		i := slices.Index(words, "useradd")
		if in.cmd != "RUN" || i < 0 {
			continue
		}
		for j := i + 1; j < len(words); j++ {
			w := words[j]
			if w == "&&" || w == ";" || w == "||" || w == "|" {
				break
			}
			name, value, hasEq := strings.Cut(w, "=")
			what, takes := withValue[name]
			switch {
			case takes && hasEq:
			case takes && j+1 < len(words):
				j++
				value = words[j]
			case strings.HasPrefix(w, "-"):
				continue
			default:
				user = w
			}
			switch what {
			case "uid":
				uid = value
			case "gid":
				gid = value
			}
		}
		return uid, gid, user, in.line
	}
	return "", "", "", 0
}

// pipPins returns the packages of the RUN's pip installs and the versions pinned (== only).
func (d dockerfile) pipPins() map[string]string {
	pins := map[string]string{}
	for _, in := range d.instructions {
		words := shellWords(in.args)
		i := slices.Index(words, "install")
		if in.cmd != "RUN" || i < 1 || !strings.Contains(words[i-1], "pip") && !(i >= 2 && words[i-2] == "-m") {
			continue
		}
		for _, w := range words[i+1:] {
			if w == "&&" || w == ";" {
				break
			}
			if strings.HasPrefix(w, "-") {
				continue
			}
			name, version, _ := strings.Cut(w, "==")
			pins[strings.ToLower(name)] = version
		}
	}
	return pins
}

// execForm parses an exec-form (JSON array) ENTRYPOINT or CMD.
func execForm(args string) ([]string, bool) {
	if !strings.HasPrefix(strings.TrimSpace(args), "[") {
		return nil, false
	}
	var argv []string
	if err := json.Unmarshal([]byte(args), &argv); err != nil {
		return nil, false
	}
	return argv, true
}

// shellWords splits a command line into words as a shell would for simple commands: on blanks
// outside quotes, quotes removed, ; && || | kept as words of their own.
func shellWords(s string) []string {
	var words []string
	var cur strings.Builder
	in := false
	var quote rune
	flush := func() {
		if in {
			words = append(words, cur.String())
			cur.Reset()
			in = false
		}
	}
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '"' || r == '\'':
			quote, in = r, true
		case r == ' ' || r == '\t' || r == '\n':
			flush()
		case r == ';':
			flush()
			words = append(words, ";")
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	flush()
	return words
}

// install.sh.

type installScript struct {
	jupyterhub          string // JUPYTERHUB_VERSION
	jupyterhubInstalled bool   // pip installs jupyterhub==$JUPYTERHUB_VERSION
	pjrtDir             string // where XLA's PJRT plugins go
	venv                string // JupyterLab's virtual environment
	system              bool   // has a --system option
	prefixVar           string // the variable --prefix sets
	prefix              string // its default
	layout              []string
}

var (
	jupyterhubVersionLine = regexp.MustCompile(`(?m)^JUPYTERHUB_VERSION=["']?([0-9]+\.[0-9]+\.[0-9]+)["']?\s*$`)
	jupyterhubPipInstall  = regexp.MustCompile(`(?m)^[^#\n]*pip["']? install[^\n]*jupyterhub==\$\{?JUPYTERHUB_VERSION\}?`)
	pjrtInstall           = regexp.MustCompile(`(?m)^[^#\n]*docker/pjrt\s+-dir[= ]["']?([^\s"']+)`)
	venvCreate            = regexp.MustCompile(`(?m)^[^#\n]*python3 -m venv(?:\s+--?[\w-]+)*\s+["']?([^\s"']+)`)
	systemOption          = regexp.MustCompile(`(?m)(?:^\s*|\|\s*)--system\s*[|)]`)
	prefixOption          = regexp.MustCompile(`(?m)--prefix(?:=\*)?\)\s*(\w+)=`)
)

func parseInstall(src string) installScript {
	var s installScript
	if ms := jupyterhubVersionLine.FindAllStringSubmatch(src, -1); len(ms) == 1 {
		s.jupyterhub = ms[0][1]
	}
	s.jupyterhubInstalled = jupyterhubPipInstall.MatchString(src)
	if m := pjrtInstall.FindStringSubmatch(src); m != nil {
		s.pjrtDir = path.Join(m[1], "go-xla")
	}
	if m := venvCreate.FindStringSubmatch(src); m != nil {
		s.venv = m[1]
	}
	s.system = systemOption.MatchString(src)
	if m := prefixOption.FindStringSubmatch(src); m != nil {
		s.prefixVar = m[1]
		v := regexp.QuoteMeta(s.prefixVar)
		// Its default: VAR=/path or VAR="${VAR:-/path}" (or ${OTHER:-/path}).
		def := regexp.MustCompile(`(?m)^\s*` + v + `=["']?(?:\$\{\w+:-)?(/[^\s"'}]*)`)
		if m := def.FindStringSubmatch(src); m != nil {
			s.prefix = strings.TrimSuffix(m[1], "/")
		}
		// Where it lays things out: $VAR/a/b, ${VAR}/a/b, "$VAR"/a/b, and brace lists
		// $VAR/{a,b}, also through one alias (OTHER=$VAR or OTHER="$VAR").
		vars := []string{v}
		for _, m := range regexp.MustCompile(`(?m)^\s*(\w+)=["']?\$\{?`+v+`\}?["']?\s*$`).FindAllStringSubmatch(src, -1) {
			vars = append(vars, regexp.QuoteMeta(m[1]))
		}
		use := regexp.MustCompile(`\$\{?(?:` + strings.Join(vars, "|") + `)\}?"?/(\{[^}\s]*\}|[\w.@/-]+)`)
		seen := map[string]bool{}
		for _, m := range use.FindAllStringSubmatch(src, -1) {
			rels := []string{m[1]}
			if strings.HasPrefix(m[1], "{") {
				rels = strings.Split(strings.Trim(m[1], "{}"), ",")
			}
			for _, rel := range rels {
				rel = strings.Trim(rel, "/")
				if rel != "" && !seen[rel] {
					seen[rel] = true
					s.layout = append(s.layout, rel)
				}
			}
		}
	}
	return s
}

// checkLayout checks that each path under the prefix in the image's environment is one that
// install.sh --system lays out (or under one), with the same default prefix.
func (s installScript) checkLayout(env map[string]string, prefix string) []string {
	if !s.system || s.prefixVar == "" {
		return []string{"docker/install.sh: no --system option with --prefix P (the system-wide install under " + defaultPrefix + " that the image's ENV and ENTRYPOINT use)"}
	}
	var problems []string
	if s.prefix != prefix {
		problems = append(problems, fmt.Sprintf("docker/install.sh: --prefix defaults to %q (in %s=…), but the image uses %s", s.prefix, s.prefixVar, prefix))
	}
	// rel is laid out if install.sh names it, a folder above it, or something in it.
	has := func(rel string) bool {
		return slices.ContainsFunc(s.layout, func(l string) bool {
			return l == rel || strings.HasPrefix(rel, l+"/") || strings.HasPrefix(l, rel+"/")
		})
	}
	keys := slices.Sorted(maps.Keys(env))
	for _, k := range keys {
		for _, p := range strings.Split(env[k], ":") {
			rel, under := strings.CutPrefix(p, prefix+"/")
			if under && !has(rel) {
				problems = append(problems, fmt.Sprintf("docker/Dockerfile: ENV %s uses %s, which install.sh --system does not lay out (it has %s/{%s})", k, p, prefix, strings.Join(s.layout, ",")))
			}
		}
	}
	for _, rel := range []string{"src", "weights", "bin/estil-session"} {
		if !has(rel) {
			problems = append(problems, fmt.Sprintf("docker/install.sh: --system lays out no %s/%s (it has %s/{%s})", prefix, rel, prefix, strings.Join(s.layout, ",")))
		}
	}
	return problems
}

// The hub's Python configuration: only one-line `c.Class.trait = literal` assignments are read.

type pyConfig struct{ raw map[string]string }

func parsePyConfig(src string) pyConfig {
	conf := pyConfig{raw: map[string]string{}}
	for _, m := range regexp.MustCompile(`(?m)^c\.(\w+\.\w+)\s*=\s*(.+?)\s*$`).FindAllStringSubmatch(src, -1) {
		conf.raw[m[1]] = m[2]
	}
	return conf
}

func (c pyConfig) literal(key string, v any) bool {
	raw, ok := c.raw[key]
	if !ok {
		return false
	}
	switch raw { // Python's constants, as JSON's
	case "True":
		raw = "true"
	case "False":
		raw = "false"
	case "None":
		raw = "null"
	}
	return json.Unmarshal([]byte(raw), v) == nil
}

func (c pyConfig) str(key string) (string, bool) {
	var s string
	ok := c.literal(key, &s)
	return s, ok
}

func (c pyConfig) list(key string) ([]string, bool) {
	var s []string
	ok := c.literal(key, &s)
	return s, ok
}

func (c pyConfig) number(key string) (float64, bool) {
	var f float64
	ok := c.literal(key, &f)
	return f, ok
}

func (c pyConfig) dict(key string) (map[string]string, bool) {
	var m map[string]string
	ok := c.literal(key, &m)
	return m, ok
}

// sameBytes says whether two byte specifications (JupyterHub's: a number with K, M, G or T)
// are the same amount.
func sameBytes(a, b string) bool {
	x, okA := parseBytes(a)
	y, okB := parseBytes(b)
	return okA && okB && x == y
}

func parseBytes(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	mult := 1.0
	if s != "" {
		if i := strings.IndexByte("KMGT", s[len(s)-1]); i >= 0 {
			for range i + 1 {
				mult *= 1024
			}
			s = s[:len(s)-1]
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	return f * mult, err == nil && f > 0
}

// YAML.

func parseYAML(src string) (map[string]any, error) {
	var m map[string]any
	err := yaml.Unmarshal([]byte(src), &m)
	return m, err
}

func yamlAt(m any, keys ...string) any {
	for _, k := range keys {
		mm, ok := m.(map[string]any)
		if !ok {
			return nil
		}
		m = mm[k]
	}
	return m
}

func yamlMap(m any, keys ...string) map[string]any {
	mm, _ := yamlAt(m, keys...).(map[string]any)
	return mm
}

func yamlList(m any, keys ...string) []any {
	l, _ := yamlAt(m, keys...).([]any)
	return l
}

// yamlString returns a scalar as text ("" when absent).
func yamlString(m any, keys ...string) string {
	switch v := yamlAt(m, keys...).(type) {
	case nil:
		return ""
	case string:
		return v
	default:
		return fmt.Sprint(v)
	}
}

// yamlStrings returns a list of strings, or a single string as a list of one.
func yamlStrings(m any, keys ...string) []string {
	switch v := yamlAt(m, keys...).(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			out = append(out, fmt.Sprint(e))
		}
		return out
	}
	return nil
}

// yamlEntries returns the maps of a list, or the values of a map (the chart takes both).
func yamlEntries(m any, keys ...string) []map[string]any {
	var out []map[string]any
	switch v := yamlAt(m, keys...).(type) {
	case []any:
		for _, e := range v {
			if mm, ok := e.(map[string]any); ok {
				out = append(out, mm)
			}
		}
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(v)) {
			if mm, ok := v[k].(map[string]any); ok {
				out = append(out, mm)
			}
		}
	}
	return out
}

// composeMount reads a compose volume, in the short (SOURCE:TARGET[:ro]) or the long syntax.
func composeMount(v any) (source, target string, readOnly bool) {
	switch m := v.(type) {
	case string:
		parts := strings.Split(m, ":")
		if len(parts) == 1 {
			return "", parts[0], false
		}
		return parts[0], parts[1], len(parts) > 2 && slices.Contains(strings.Split(parts[2], ","), "ro")
	case map[string]any:
		source, _ = m["source"].(string)
		target, _ = m["target"].(string)
		readOnly, _ = m["read_only"].(bool)
	}
	return source, target, readOnly
}

// TestInstallLayoutParsing checks the reading of install.sh's --system layout on the ways a
// script may write it, so that the static test follows install.sh rather than its style.
func TestInstallLayoutParsing(t *testing.T) {
	env := map[string]string{
		"ESTIL_CACHE_DIR": "/opt/estil/weights", "ESTIL_ROOT": "/opt/estil/src",
		"GOMODCACHE": "/opt/estil/go/pkg/mod", "PATH": "/opt/estil/bin:/usr/bin",
	}
	for name, script := range map[string]string{
		"plain": `system=0
prefix=/opt/estil
case "$1" in
	--system) system=1 ;;
	--prefix) prefix="$2"; shift ;;
esac
mkdir -p "$prefix/src" "$prefix/weights" "$prefix/go/pkg/mod"
go build -o "$prefix/bin/estil-session" ./cmd/estil-session
`,
		"braces and default": `P="${ESTIL_PREFIX:-/opt/estil}"
while [ $# -gt 0 ]; do case "$1" in
	--system) system=1 ;;
	--prefix=*) P="${1#*=}" ;;
esac; shift; done
install -d -m 755 "$P"/{src,weights,bin,gocache}
export GOMODCACHE=${P}/go/pkg/mod
`,
		"alias": `prefix=/opt/estil/
case "$1" in
	--offline | --system) : ;;
	--prefix) prefix="$2"; shift ;;
esac
root="$prefix"
cp -a . "$root/src"; mkdir -p "$root/weights" "$root/go/pkg/mod" "$root/bin"
`,
	} {
		t.Run(name, func(t *testing.T) {
			s := parseInstall(script)
			if problems := s.checkLayout(env, defaultPrefix); len(problems) > 0 {
				t.Errorf("parsed %+v:\n%s", s, strings.Join(problems, "\n"))
			}
		})
	}
	bad := parseInstall("prefix=/usr/local/estil\ncase $1 in\n --system) ;;\n --prefix) prefix=$2 ;;\nesac\nmkdir $prefix/src\n")
	if problems := bad.checkLayout(env, defaultPrefix); len(problems) < 3 {
		t.Errorf("a script with another prefix and no weights, bin or go/pkg/mod gave only %q", problems)
	}
}

// TestRosterReader runs docker/classroom/roster.py (the hubs' roster reader) on the example and
// on rosters it must refuse. It needs python3, which CI has (Debian's Jupyter).
func TestRosterReader(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("CI is set but python3 is missing: .ci/run installs it with Jupyter")
		}
		t.Skip("no python3")
	}
	run := func(roster string) (string, error) {
		file := filepath.Join(t.TempDir(), "roster.txt")
		if err := os.WriteFile(file, []byte(roster), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(python, filepath.FromSlash(rosterReaderPath), file).CombinedOutput()
		return strings.TrimSpace(string(out)), err
	}
	example, err := os.ReadFile(filepath.FromSlash(rosterExamplePath))
	if err != nil {
		t.Fatal(err)
	}
	out, err := run(string(example))
	if want := `{"admin": "teacher", "students": ["anna", "biel", "carla"]}`; err != nil || out != want {
		t.Errorf("roster.example.txt: got %s (%v), want %s", out, err, want)
	}
	out, err = run("\n  # a comment\n admin: mestra \nx_1\n_y-2\n\n")
	if want := `{"admin": "mestra", "students": ["x_1", "_y-2"]}`; err != nil || out != want {
		t.Errorf("blank lines, comments and spaces: got %s (%v), want %s", out, err, want)
	}
	for roster, want := range map[string]string{
		"anna\n":                                      "no 'admin: NAME' line",
		"admin: t\nadmin: u\n":                        "a second admin line",
		"admin: t\nanna\nanna\n":                      "already listed on line 2",
		"admin: t\nt\n":                               "already listed on line 1",
		"admin: t\nAnna\n":                            "is not a username",
		"admin: t\nanna bosch\n":                      "is not a username",
		"admin: t\n1anna\n":                           "is not a username",
		"admin: t\nanna # first row\n":                "is not a username",
		"admin: t\n" + strings.Repeat("a", 33) + "\n": "is not a username",
	} {
		out, err := run(roster)
		if err == nil || !strings.Contains(out, want) {
			t.Errorf("roster %q: got %q (%v), want an error with %q", roster, out, err, want)
		}
	}
}
