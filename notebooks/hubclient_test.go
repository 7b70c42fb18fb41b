package notebooks

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
)

// A client of JupyterHub's REST API and of a Jupyter server's kernel websocket, as a student's
// browser uses them: log in, start a server, open a notebook's session and execute its cells.

// hubClient talks to a hub at base as one user, with that user's API token.
type hubClient struct {
	base, user, token string
}

// hubLogin logs user in with a password (the hub asks its authenticator) and returns a client
// holding a new API token of that user's.
func hubLogin(ctx context.Context, base, user, password string) (*hubClient, error) {
	c := &hubClient{base: base, user: user}
	var reply struct {
		Token string `json:"token"`
	}
	body := map[string]any{"auth": map[string]string{"username": user, "password": password}, "note": "estil classroom test"}
	if err := c.call(ctx, "POST", "/hub/api/users/"+user+"/tokens", body, &reply); err != nil {
		return nil, fmt.Errorf("%s logging in: %w", user, err)
	}
	c.token = reply.Token
	return c, nil
}

// call sends a JSON request and decodes the JSON reply into out (unless nil); a status of 400 or
// more is an error that quotes the reply.
func (c *hubClient) call(ctx context.Context, method, path string, in, out any) error {
	status, data, err := c.do(ctx, method, path, in)
	if err != nil {
		return err
	}
	if status >= 400 {
		return fmt.Errorf("%s %s: %d %s", method, path, status, tail(string(data), 300))
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("%s %s: %v in %q", method, path, err, tail(string(data), 300))
		}
	}
	return nil
}

// do sends a request and returns the status and body, following no redirect (a request another
// user may not make is redirected to the login page by the single-user servers).
func (c *hubClient) do(ctx context.Context, method, path string, in any) (int, []byte, error) {
	var body io.Reader
	if in != nil {
		data, err := json.Marshal(in)
		if err != nil {
			return 0, nil, err
		}
		body = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return 0, nil, err
	}
	if c.token != "" {
		req.Header.Set("Authorization", "token "+c.token)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	return resp.StatusCode, data, err
}

// startServer asks the hub for the user's server and waits until it is ready.
func (c *hubClient) startServer(ctx context.Context) error {
	if err := c.call(ctx, "POST", "/hub/api/users/"+c.user+"/server", nil, nil); err != nil {
		return err
	}
	for {
		ready, err := c.serverReady(ctx)
		if err != nil || ready {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s's server did not become ready: %w", c.user, ctx.Err())
		case <-time.After(300 * time.Millisecond):
		}
	}
}

// serverReady asks the hub whether the user's server is running and ready.
func (c *hubClient) serverReady(ctx context.Context) (bool, error) {
	var user struct {
		Servers map[string]struct {
			Ready bool `json:"ready"`
		} `json:"servers"`
	}
	if err := c.call(ctx, "GET", "/hub/api/users/"+c.user, nil, &user); err != nil {
		return false, err
	}
	return user.Servers[""].Ready, nil
}

// stopServer asks the hub to stop the user's server and waits until it has stopped.
func (c *hubClient) stopServer(ctx context.Context) error {
	status, data, err := c.do(ctx, "DELETE", "/hub/api/users/"+c.user+"/server", nil)
	if err != nil {
		return err
	}
	if status >= 400 {
		return fmt.Errorf("stopping %s's server: %d %s", c.user, status, tail(string(data), 300))
	}
	for {
		var user struct {
			Servers map[string]json.RawMessage `json:"servers"`
		}
		if err := c.call(ctx, "GET", "/hub/api/users/"+c.user, nil, &user); err != nil {
			return err
		}
		if _, running := user.Servers[""]; !running {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s's server did not stop: %w", c.user, ctx.Err())
		case <-time.After(300 * time.Millisecond):
		}
	}
}

// kernelSession is a notebook's session on the user's server: its kernel, over the websocket.
type kernelSession struct {
	c              *hubClient
	id, kernelID   string
	conn           *websocket.Conn
	session        string
	executionCount int
}

// openNotebook starts a session for the notebook at path (relative to the server's root) with
// the GoNB kernel, and connects to its kernel's channels.
func (c *hubClient) openNotebook(ctx context.Context, path string) (*kernelSession, error) {
	var reply struct {
		ID     string `json:"id"`
		Kernel struct {
			ID string `json:"id"`
		} `json:"kernel"`
	}
	body := map[string]any{"path": path, "name": path, "type": "notebook", "kernel": map[string]string{"name": "gonb"}}
	if err := c.call(ctx, "POST", "/user/"+c.user+"/api/sessions", body, &reply); err != nil {
		return nil, err
	}
	s := &kernelSession{c: c, id: reply.ID, kernelID: reply.Kernel.ID, session: randomID()}
	url := "ws" + strings.TrimPrefix(c.base, "http") + "/user/" + c.user + "/api/kernels/" + s.kernelID + "/channels?session_id=" + s.session
	conn, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"token " + c.token}}})
	if err != nil {
		return nil, fmt.Errorf("%s: kernel websocket: %w", c.user, err)
	}
	conn.SetReadLimit(64 << 20) // figures come inlined
	s.conn = conn
	return s, nil
}

// close ends the session (and so its kernel) and the websocket.
func (s *kernelSession) close(ctx context.Context) {
	_ = s.c.call(ctx, "DELETE", "/user/"+s.c.user+"/api/sessions/"+s.id, nil, nil)
	_ = s.conn.Close(websocket.StatusNormalClosure, "")
}

// jupyterMessage is a message of Jupyter's messaging protocol, as the websocket carries it.
type jupyterMessage struct {
	Channel      string         `json:"channel"`
	Header       messageHeader  `json:"header"`
	ParentHeader messageHeader  `json:"parent_header"`
	Metadata     map[string]any `json:"metadata"`
	Content      map[string]any `json:"content"`
	Buffers      []any          `json:"buffers"`
}

type messageHeader struct {
	MsgID    string `json:"msg_id,omitempty"`
	MsgType  string `json:"msg_type,omitempty"`
	Username string `json:"username,omitempty"`
	Session  string `json:"session,omitempty"`
	Date     string `json:"date,omitempty"`
	Version  string `json:"version,omitempty"`
}

// execute runs code in the kernel and returns its outputs, in the notebook's own form (the
// checks of executed notebooks read them), once the kernel has replied and gone idle.
func (s *kernelSession) execute(ctx context.Context, code string) ([]output, error) {
	id := randomID()
	req := jupyterMessage{Channel: "shell",
		Header:   messageHeader{MsgID: id, MsgType: "execute_request", Username: s.c.user, Session: s.session, Version: "5.3", Date: time.Now().UTC().Format(time.RFC3339)},
		Metadata: map[string]any{},
		Content: map[string]any{"code": code, "silent": false, "store_history": true, "user_expressions": map[string]any{},
			"allow_stdin": false, "stop_on_error": true},
		Buffers: []any{}}
	if err := wsjson.Write(ctx, s.conn, req); err != nil {
		return nil, err
	}
	var outs []output
	replied, idle := false, false
	for !replied || !idle {
		var m jupyterMessage
		if err := wsjson.Read(ctx, s.conn, &m); err != nil {
			return outs, fmt.Errorf("%s: reading the kernel's messages: %w", s.c.user, err)
		}
		if m.ParentHeader.MsgID != id {
			continue
		}
		switch m.Header.MsgType {
		case "execute_reply":
			replied = true
		case "status":
			idle = m.Content["execution_state"] == "idle"
		case "stream":
			outs = append(outs, output{Type: "stream", Name: str(m.Content["name"]), Text: m.Content["text"]})
		case "display_data", "execute_result", "update_display_data":
			data, _ := m.Content["data"].(map[string]any)
			outs = append(outs, output{Type: strings.TrimPrefix(m.Header.MsgType, "update_"), Data: data})
		case "error":
			outs = append(outs, output{Type: "error", EName: str(m.Content["ename"]), EValue: str(m.Content["evalue"])})
		}
	}
	return outs, nil
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func randomID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Processes, read from /proc: what each student's processes cost, and which are left.

// procInfo is one live process.
type procInfo struct {
	pid, uid int
	cmdline  string
	// cpu is its CPU time with that of its children it has waited for, in seconds.
	cpu float64
	rss int64 // bytes
}

// processes lists the live processes (zombies excluded).
func processes() []procInfo {
	entries, _ := os.ReadDir("/proc")
	var out []procInfo
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		dir := "/proc/" + e.Name()
		stat, err1 := os.ReadFile(dir + "/stat")
		status, err2 := os.ReadFile(dir + "/status")
		cmd, _ := os.ReadFile(dir + "/cmdline")
		if err1 != nil || err2 != nil {
			continue
		}
		s := string(stat)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(fields) < 22 || fields[0] == "Z" {
			continue
		}
		// utime, stime, cutime, cstime are fields 14-17 of stat (11-14 after the command).
		var ticks float64
		for _, f := range fields[11:15] {
			v, _ := strconv.ParseFloat(f, 64)
			ticks += v
		}
		p := procInfo{pid: pid, cmdline: strings.TrimSpace(strings.ReplaceAll(string(cmd), "\x00", " ")), cpu: ticks / 100} // USER_HZ
		for _, line := range strings.Split(string(status), "\n") {
			f := strings.Fields(line)
			switch {
			case len(f) >= 2 && f[0] == "Uid:":
				p.uid, _ = strconv.Atoi(f[1])
			case len(f) >= 2 && f[0] == "VmRSS:":
				kb, _ := strconv.ParseInt(f[1], 10, 64)
				p.rss = kb << 10
			}
		}
		out = append(out, p)
	}
	return out
}

// usage is the CPU seconds and resident memory of a user's live processes. The CPU of a process
// that has exited counts in its parent's once the parent has waited for it, so differences of
// usage measure what the user's programs ran between two moments.
func usage(uid int) (cpu float64, rss int64) {
	for _, p := range processes() {
		if p.uid == uid {
			cpu += p.cpu
			rss += p.rss
		}
	}
	return cpu, rss
}
