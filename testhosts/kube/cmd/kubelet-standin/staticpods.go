package main

// Static Pods as local processes: one process per container, restarted when
// it exits (restartPolicy Always), replaced when its manifest changes,
// stopped when its manifest goes. The processes outlive the stand-in itself,
// as containers outlive a restart of the real kubelet: a restarted stand-in
// adopts those recorded in podstate for an unchanged manifest.

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/klog/v2"

	"portal.local/testhosts/kube/internal/podstate"
)

const pollInterval = time.Second

type staticPod struct {
	file      string
	hash      string
	pod       *v1.Pod
	sandbox   *podstate.Sandbox // guarded by mu
	killing   bool              // guarded by mu: stopping the Pod, not just the stand-in
	cancel    context.CancelFunc
	done      sync.WaitGroup
	startedAt time.Time
	mu        sync.Mutex
	running   map[string]bool // container name -> its process is up
}

func (p *staticPod) isRunning(container string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.running[container]
}

func (p *staticPod) setRunning(container string, up bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.running[container] = up
}

func (p *staticPod) record(container string, proc podstate.Process) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sandbox.Containers[container] = proc
	if err := p.sandbox.Save(); err != nil {
		klog.ErrorS(err, "could not record the static Pod's process", "pod", p.pod.Name)
	}
}

func (p *staticPod) recorded(container string) podstate.Process {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.sandbox.Containers[container]
}

func (p *staticPod) isKilling() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.killing
}

type staticPods struct {
	dir, imagesDir, logDir string
	mu                     sync.Mutex
	pods                   map[string]*staticPod // manifest file -> pod
}

func newStaticPods(dir, imagesDir, logDir string) *staticPods {
	return &staticPods{dir: dir, imagesDir: imagesDir, logDir: logDir, pods: map[string]*staticPod{}}
}

// snapshot returns the running static Pods, for the node agent's mirror Pods.
func (s *staticPods) snapshot() []*staticPod {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*staticPod, 0, len(s.pods))
	for _, p := range s.pods {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].file < out[j].file })
	return out
}

func (s *staticPods) run(ctx context.Context) {
	if s.dir == "" {
		return
	}
	for {
		s.sync(ctx)
		select {
		case <-ctx.Done():
			return
		case <-time.After(pollInterval):
		}
	}
}

func (s *staticPods) sync(ctx context.Context) {
	seen := map[string]bool{}
	entries, _ := os.ReadDir(s.dir)
	for _, entry := range entries {
		name := entry.Name()
		// As the kubelet's file source: hidden files are ignored.
		if entry.IsDir() || strings.HasPrefix(name, ".") {
			continue
		}
		file := filepath.Join(s.dir, name)
		data, err := os.ReadFile(file)
		if err != nil {
			continue
		}
		hash := fmt.Sprintf("%x", sha256.Sum256(data))[:16]
		seen[file] = true
		s.mu.Lock()
		current := s.pods[file]
		s.mu.Unlock()
		if current != nil && current.hash == hash {
			continue
		}
		pod := &v1.Pod{}
		if err := yaml.Unmarshal(data, pod); err != nil || pod.Name == "" {
			klog.ErrorS(err, "not a Pod manifest, ignored", "file", file)
			continue
		}
		if current != nil {
			klog.InfoS("static Pod manifest changed: restarting", "pod", pod.Name, "file", file)
			s.stop(current)
		}
		s.start(ctx, file, hash, pod)
	}
	s.mu.Lock()
	var gone []*staticPod
	for file, p := range s.pods {
		if !seen[file] {
			gone = append(gone, p)
		}
	}
	s.mu.Unlock()
	for _, p := range gone {
		klog.InfoS("static Pod manifest removed: stopping", "pod", p.pod.Name, "file", p.file)
		s.stop(p)
	}
	// Processes whose manifest went while no stand-in was running.
	known := map[string]bool{}
	for _, p := range s.snapshot() {
		known[p.sandbox.ID] = true
	}
	for _, sandbox := range podstate.List() {
		if !known[sandbox.ID] {
			klog.InfoS("static Pod without a manifest: stopping", "pod", sandbox.Name)
			sandbox.Stop(10 * time.Second)
			_ = podstate.Remove(sandbox.ID)
		}
	}
}

func sandboxID(pod *v1.Pod, hash string) string {
	return fmt.Sprintf("%s_%s_%s", pod.Namespace, pod.Name, hash)
}

func (s *staticPods) start(parent context.Context, file, hash string, pod *v1.Pod) {
	if pod.Namespace == "" {
		pod.Namespace = "default"
	}
	// Processes of an older manifest of this Pod, left by a stand-in that
	// stopped before it saw the change: they go, as the kubelet's would.
	for _, old := range podstate.List() {
		if old.Namespace == pod.Namespace && old.Name == pod.Name && old.ID != sandboxID(pod, hash) {
			old.Stop(10 * time.Second)
			_ = podstate.Remove(old.ID)
		}
	}
	sandbox, err := podstate.Load(sandboxID(pod, hash))
	if err != nil {
		sandbox = &podstate.Sandbox{ID: sandboxID(pod, hash), Name: pod.Name, Namespace: pod.Namespace, UID: hash,
			Created: time.Now().UnixNano(), Containers: map[string]podstate.Process{}}
		if err := sandbox.Save(); err != nil {
			klog.ErrorS(err, "could not record the static Pod", "pod", pod.Name)
		}
	}
	ctx, cancel := context.WithCancel(parent)
	p := &staticPod{file: file, hash: hash, pod: pod, sandbox: sandbox, cancel: cancel,
		startedAt: time.Unix(0, sandbox.Created), running: map[string]bool{}}
	for _, c := range pod.Spec.Containers {
		p.done.Add(1)
		go s.runContainer(ctx, p, c)
	}
	s.mu.Lock()
	s.pods[file] = p
	s.mu.Unlock()
}

// stop ends the Pod's processes (its manifest changed or went).
func (s *staticPods) stop(p *staticPod) {
	p.mu.Lock()
	p.killing = true
	p.mu.Unlock()
	p.cancel()
	p.done.Wait()
	_ = podstate.Remove(p.sandbox.ID)
	s.mu.Lock()
	if s.pods[p.file] == p {
		delete(s.pods, p.file)
	}
	s.mu.Unlock()
}

// detachAll: the stand-in stops, the Pods' processes stay (see podstate).
func (s *staticPods) detachAll() {
	for _, p := range s.snapshot() {
		p.cancel()
		p.done.Wait()
	}
}

// imageName is the last path element of an image without tag or digest:
// "registry.k8s.io/kube-apiserver:v1.37.2" -> "kube-apiserver".
func imageName(image string) string {
	name := image[strings.LastIndex(image, "/")+1:]
	if i := strings.IndexAny(name, ":@"); i >= 0 {
		name = name[:i]
	}
	return name
}

// argv is the container's command and args, with the executable taken from
// the stand-in images directory where the image provides it.
func (s *staticPods) argv(c v1.Container) ([]string, error) {
	argv := append(append([]string{}, c.Command...), c.Args...)
	image := filepath.Join(s.imagesDir, imageName(c.Image))
	if len(c.Command) == 0 {
		return append([]string{image}, argv...), nil
	}
	if filepath.Base(argv[0]) == imageName(c.Image) {
		argv[0] = image
	} else if !filepath.IsAbs(argv[0]) {
		if _, err := os.Stat(filepath.Join(s.imagesDir, argv[0])); err == nil {
			argv[0] = filepath.Join(s.imagesDir, argv[0])
		}
	}
	if _, err := exec.LookPath(argv[0]); err != nil {
		return nil, fmt.Errorf("no executable for image %s (%s): %w", c.Image, argv[0], err)
	}
	return argv, nil
}

func (s *staticPods) runContainer(ctx context.Context, p *staticPod, c v1.Container) {
	defer p.done.Done()
	logDir := filepath.Join(s.logDir, p.sandbox.ID, c.Name)
	_ = os.MkdirAll(logDir, 0o755)
	backoff := time.Second
	for restarts := 0; ; restarts++ {
		var err error
		started := time.Now()
		if proc := p.recorded(c.Name); proc.Alive() {
			klog.InfoS("static Pod container adopted", "pod", p.pod.Name, "container", c.Name, "pid", proc.PID)
			err = s.watch(ctx, p, c, proc, nil)
		} else {
			var argv []string
			if argv, err = s.argv(c); err == nil {
				err = s.runOnce(ctx, p, c, argv, filepath.Join(logDir, fmt.Sprintf("%d.log", restarts)))
			}
		}
		if time.Since(started) > time.Minute {
			backoff = time.Second
		}
		if ctx.Err() != nil {
			return
		}
		klog.InfoS("static Pod container exited: restarting", "pod", p.pod.Name, "container", c.Name,
			"err", err, "backoff", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 10*time.Second)
	}
}

func (s *staticPods) runOnce(ctx context.Context, p *staticPod, c v1.Container, argv []string, logPath string) error {
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logFile.Close()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.Dir = c.WorkingDir
	cmd.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	for _, e := range c.Env {
		if e.ValueFrom == nil {
			cmd.Env = append(cmd.Env, e.Name+"="+e.Value)
		}
	}
	// Its own process group, so that stopping the stand-in leaves it running.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return err
	}
	proc := podstate.Process{PID: cmd.Process.Pid}
	proc.StartTime, _ = podstate.StartTime(proc.PID)
	p.record(c.Name, proc)
	klog.InfoS("static Pod container started", "pod", p.pod.Name, "container", c.Name, "pid", proc.PID,
		"argv0", argv[0])
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	return s.watch(ctx, p, c, proc, exited)
}

// watch waits until the process exits or ctx ends; then, if the Pod is being
// stopped, ends the process. `exited` is nil for an adopted process (not our
// child): its liveness is polled.
func (s *staticPods) watch(ctx context.Context, p *staticPod, c v1.Container, proc podstate.Process, exited chan error) error {
	p.setRunning(c.Name, true)
	defer p.setRunning(c.Name, false)
	if exited == nil {
		poll := make(chan error, 1)
		go func() {
			for proc.Alive() && ctx.Err() == nil {
				time.Sleep(200 * time.Millisecond)
			}
			if !proc.Alive() {
				poll <- fmt.Errorf("pid %d exited", proc.PID)
			}
		}()
		exited = poll
	}
	select {
	case err := <-exited:
		return err
	case <-ctx.Done():
	}
	if !p.isKilling() {
		return nil
	}
	grace := 10 * time.Second
	if g := p.pod.Spec.TerminationGracePeriodSeconds; g != nil && time.Duration(*g)*time.Second < grace {
		grace = time.Duration(*g) * time.Second
	}
	proc.Stop(grace)
	return nil
}
