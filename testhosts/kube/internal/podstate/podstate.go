// Package podstate is what the STAND-IN kubelet and the STAND-IN containerd
// of a portal test host share about the static Pods' processes: the
// "sandboxes" of a runtime that has none.
//
// As with a real runtime, a static Pod's processes outlive a restart of the
// kubelet (kubeadm restarts it in kubelet-start and kubelet-finalize, and the
// control plane must stay up), and the runtime can list and stop them
// (`kubeadm reset` removes the node's Pods through the CRI). Each Pod has a
// directory under Dir with a JSON record of its containers' processes, each
// identified by pid and start time so that a reused pid is never mistaken
// for it.
package podstate

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Dir is on the host's /run: gone when the host stops, as a runtime's state.
const Dir = "/run/kubelet-standin/pods"

type Process struct {
	PID       int    `json:"pid"`
	StartTime uint64 `json:"startTime"` // field 22 of /proc/<pid>/stat
}

type Sandbox struct {
	ID         string             `json:"id"` // <namespace>_<name>_<manifest hash>
	Name       string             `json:"name"`
	Namespace  string             `json:"namespace"`
	UID        string             `json:"uid"`
	Created    int64              `json:"created"` // unix nanoseconds
	Containers map[string]Process `json:"containers"`
}

func path(id string) string { return filepath.Join(Dir, id, "sandbox.json") }

func Load(id string) (*Sandbox, error) {
	data, err := os.ReadFile(path(id))
	if err != nil {
		return nil, err
	}
	s := &Sandbox{}
	if err := json.Unmarshal(data, s); err != nil {
		return nil, err
	}
	if s.Containers == nil {
		s.Containers = map[string]Process{}
	}
	return s, nil
}

func (s *Sandbox) Save() error {
	if err := os.MkdirAll(filepath.Dir(path(s.ID)), 0o755); err != nil {
		return err
	}
	data, _ := json.MarshalIndent(s, "", "  ")
	tmp := path(s.ID) + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path(s.ID))
}

func List() []*Sandbox {
	entries, _ := os.ReadDir(Dir)
	var out []*Sandbox
	for _, e := range entries {
		if s, err := Load(e.Name()); err == nil {
			out = append(out, s)
		}
	}
	return out
}

func Remove(id string) error { return os.RemoveAll(filepath.Join(Dir, id)) }

// StartTime of a process, from /proc/<pid>/stat.
func StartTime(pid int) (uint64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces: count fields after its ")".
	fields := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+1:]))
	if len(fields) < 20 {
		return 0, fmt.Errorf("short /proc/%d/stat", pid)
	}
	return strconv.ParseUint(fields[19], 10, 64)
}

// Alive: the recorded process still runs (and is not a zombie).
func (p Process) Alive() bool {
	if p.PID <= 0 {
		return false
	}
	start, err := StartTime(p.PID)
	if err != nil || start != p.StartTime {
		return false
	}
	data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.PID))
	fields := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+1:]))
	return len(fields) > 0 && fields[0] != "Z"
}

func (s *Sandbox) Running() bool {
	for _, p := range s.Containers {
		if p.Alive() {
			return true
		}
	}
	return false
}

// Stop ends a process group: SIGTERM, then SIGKILL after grace.
func (p Process) Stop(grace time.Duration) {
	if !p.Alive() {
		return
	}
	_ = syscall.Kill(-p.PID, syscall.SIGTERM)
	deadline := time.Now().Add(grace)
	for p.Alive() && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if p.Alive() {
		_ = syscall.Kill(-p.PID, syscall.SIGKILL)
	}
	for i := 0; i < 100 && p.Alive(); i++ {
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop ends every container process of the sandbox.
func (s *Sandbox) Stop(grace time.Duration) {
	for _, p := range s.Containers {
		p.Stop(grace)
	}
}
