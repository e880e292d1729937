// STAND-IN for containerd on a portal test host (testhosts/), not a container runtime.
//
// A test host is a set of namespaces sharing the runner's kernel, without the
// privileges (mounts, cgroups) a container runtime needs. kubeadm only talks
// to the runtime through the CRI: it asks its version and status, the sandbox
// image, whether RuntimeConfig is implemented, pulls the control-plane images
// and, on reset, lists and removes pod sandboxes. This program serves that
// much of the CRI (k8s.io/cri-api v1 RuntimeService and ImageService) on
// containerd's socket. Pulling an image is bookkeeping only: the image's name
// is remembered in a file, nothing is downloaded. The control plane's static
// Pods are run as local processes by the stand-in kubelet instead; they are
// this runtime's pod sandboxes (internal/podstate).
//
// Installed as /usr/bin/containerd; `containerd config default` prints a
// containerd 1.7-style default configuration (sandbox_image, SystemdCgroup),
// which the stand-in reads back from --config as containerd would.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"sort"
	"sync"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"portal.local/testhosts/kube/internal/podstate"
)

const (
	version             = "v1.7.0-standin"
	defaultSandboxImage = "registry.k8s.io/pause:3.10.1"
	stateDir            = "/var/lib/containerd-standin"
	// kubeadm reset gives each CRI call about two seconds: SIGTERM, then SIGKILL.
	stopGrace = time.Second
)

const defaultConfig = `# containerd configuration, as printed by the STAND-IN containerd of a portal
# test host (testhosts/kube/cmd/containerd-standin). Only sandbox_image and
# SystemdCgroup are read back; the rest mirrors containerd 1.7's layout.
version = 2
root = "/var/lib/containerd"
state = "/run/containerd"

[grpc]
  address = "/run/containerd/containerd.sock"

[plugins]
  [plugins."io.containerd.grpc.v1.cri"]
    sandbox_image = "registry.k8s.io/pause:3.8"
    [plugins."io.containerd.grpc.v1.cri".containerd]
      default_runtime_name = "runc"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes]
        [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
          runtime_type = "io.containerd.runc.v2"
          [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
            SystemdCgroup = false
    [plugins."io.containerd.grpc.v1.cri".cni]
      bin_dir = "/opt/cni/bin"
      conf_dir = "/etc/cni/net.d"
`

var (
	sandboxRe = regexp.MustCompile(`(?m)^\s*sandbox(?:_image)?\s*=\s*["']([^"']+)["']`)
	systemdRe = regexp.MustCompile(`(?m)^\s*SystemdCgroup\s*=\s*true\b`)
)

// runtimeConfig is what the stand-in reads from containerd's configuration file.
type runtimeConfig struct {
	SandboxImage  string `json:"sandboxImage"`
	SystemdCgroup bool   `json:"systemdCgroup"`
}

func readConfig(path string) runtimeConfig {
	cfg := runtimeConfig{SandboxImage: defaultSandboxImage}
	data, err := os.ReadFile(path)
	if err != nil {
		return cfg
	}
	if m := sandboxRe.FindSubmatch(data); m != nil {
		cfg.SandboxImage = string(m[1])
	}
	cfg.SystemdCgroup = systemdRe.Match(data)
	return cfg
}

// images remembers "pulled" image names in a file, so they survive a restart
// as a real runtime's image store would.
type images struct {
	mu   sync.Mutex
	path string
}

func (s *images) load() map[string]string {
	names := map[string]string{}
	if data, err := os.ReadFile(s.path); err == nil {
		_ = json.Unmarshal(data, &names)
	}
	return names
}

func (s *images) save(names map[string]string) error {
	data, _ := json.MarshalIndent(names, "", "  ")
	if err := os.MkdirAll(filepath.Dir(s.path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(s.path, data, 0o644)
}

func imageID(name string) string {
	// Not a digest of any content (there is none): a stable id per name.
	return fmt.Sprintf("sha256:%x", sha256.Sum256([]byte(name)))
}

func toImage(name, id string) *runtimeapi.Image {
	return &runtimeapi.Image{Id: id, RepoTags: []string{name}, Size: 1, Spec: &runtimeapi.ImageSpec{Image: name}}
}

type server struct {
	runtimeapi.UnimplementedRuntimeServiceServer
	runtimeapi.UnimplementedImageServiceServer
	configPath string
	images     *images
}

func (s *server) Version(context.Context, *runtimeapi.VersionRequest) (*runtimeapi.VersionResponse, error) {
	return &runtimeapi.VersionResponse{
		Version:           "0.1.0",
		RuntimeName:       "containerd",
		RuntimeVersion:    version,
		RuntimeApiVersion: "v1",
	}, nil
}

func (s *server) Status(_ context.Context, req *runtimeapi.StatusRequest) (*runtimeapi.StatusResponse, error) {
	// As containerd does: the network is ready once a CNI configuration exists.
	cni, _ := filepath.Glob("/etc/cni/net.d/*")
	conditions := []*runtimeapi.RuntimeCondition{
		{Type: runtimeapi.RuntimeReady, Status: true},
		{Type: runtimeapi.NetworkReady, Status: len(cni) > 0, Reason: "NetworkPluginNotReady"},
	}
	if len(cni) > 0 {
		conditions[1].Reason = ""
	}
	resp := &runtimeapi.StatusResponse{Status: &runtimeapi.RuntimeStatus{Conditions: conditions}}
	if req.GetVerbose() {
		cfg, _ := json.Marshal(readConfig(s.configPath))
		resp.Info = map[string]string{"config": string(cfg), "standin": `"containerd stand-in of a portal test host"`}
	}
	return resp, nil
}

func (s *server) RuntimeConfig(context.Context, *runtimeapi.RuntimeConfigRequest) (*runtimeapi.RuntimeConfigResponse, error) {
	driver := runtimeapi.CgroupDriver_CGROUPFS
	if readConfig(s.configPath).SystemdCgroup {
		driver = runtimeapi.CgroupDriver_SYSTEMD
	}
	return &runtimeapi.RuntimeConfigResponse{Linux: &runtimeapi.LinuxRuntimeConfiguration{CgroupDriver: driver}}, nil
}

// The "sandboxes" are the static Pods that the stand-in kubelet runs as
// processes (internal/podstate): listed, stopped and removed here as a
// runtime's would be, e.g. by `kubeadm reset`.
func toSandbox(sb *podstate.Sandbox) *runtimeapi.PodSandbox {
	state := runtimeapi.PodSandboxState_SANDBOX_NOTREADY
	if sb.Running() {
		state = runtimeapi.PodSandboxState_SANDBOX_READY
	}
	return &runtimeapi.PodSandbox{
		Id:        sb.ID,
		Metadata:  &runtimeapi.PodSandboxMetadata{Name: sb.Name, Namespace: sb.Namespace, Uid: sb.UID},
		State:     state,
		CreatedAt: sb.Created,
		Labels: map[string]string{
			"io.kubernetes.pod.name": sb.Name, "io.kubernetes.pod.namespace": sb.Namespace, "io.kubernetes.pod.uid": sb.UID,
		},
	}
}

func (s *server) ListPodSandbox(_ context.Context, req *runtimeapi.ListPodSandboxRequest) (*runtimeapi.ListPodSandboxResponse, error) {
	resp := &runtimeapi.ListPodSandboxResponse{}
	for _, sb := range podstate.List() {
		if id := req.GetFilter().GetId(); id != "" && id != sb.ID {
			continue
		}
		resp.Items = append(resp.Items, toSandbox(sb))
	}
	return resp, nil
}

func (s *server) PodSandboxStatus(_ context.Context, req *runtimeapi.PodSandboxStatusRequest) (*runtimeapi.PodSandboxStatusResponse, error) {
	sb, err := podstate.Load(req.GetPodSandboxId())
	if err != nil {
		return nil, status.Errorf(codes.NotFound, "sandbox %s not found", req.GetPodSandboxId())
	}
	item := toSandbox(sb)
	return &runtimeapi.PodSandboxStatusResponse{Status: &runtimeapi.PodSandboxStatus{
		Id: item.Id, Metadata: item.Metadata, State: item.State, CreatedAt: item.CreatedAt, Labels: item.Labels,
	}}, nil
}

func (s *server) StopPodSandbox(_ context.Context, req *runtimeapi.StopPodSandboxRequest) (*runtimeapi.StopPodSandboxResponse, error) {
	if sb, err := podstate.Load(req.GetPodSandboxId()); err == nil {
		log.Printf("stopping the processes of static Pod %s/%s", sb.Namespace, sb.Name)
		sb.Stop(stopGrace)
	}
	return &runtimeapi.StopPodSandboxResponse{}, nil
}

func (s *server) RemovePodSandbox(_ context.Context, req *runtimeapi.RemovePodSandboxRequest) (*runtimeapi.RemovePodSandboxResponse, error) {
	if sb, err := podstate.Load(req.GetPodSandboxId()); err == nil {
		sb.Stop(stopGrace)
	}
	return &runtimeapi.RemovePodSandboxResponse{}, podstate.Remove(req.GetPodSandboxId())
}

func (s *server) ListContainers(_ context.Context, req *runtimeapi.ListContainersRequest) (*runtimeapi.ListContainersResponse, error) {
	resp := &runtimeapi.ListContainersResponse{}
	for _, sb := range podstate.List() {
		for name, proc := range sb.Containers {
			state := runtimeapi.ContainerState_CONTAINER_EXITED
			if proc.Alive() {
				state = runtimeapi.ContainerState_CONTAINER_RUNNING
			}
			resp.Containers = append(resp.Containers, &runtimeapi.Container{
				Id: fmt.Sprintf("%s_%s", sb.ID, name), PodSandboxId: sb.ID, State: state, CreatedAt: sb.Created,
				Metadata: &runtimeapi.ContainerMetadata{Name: name},
			})
		}
	}
	return resp, nil
}

func (s *server) PullImage(_ context.Context, req *runtimeapi.PullImageRequest) (*runtimeapi.PullImageResponse, error) {
	name := req.GetImage().GetImage()
	if name == "" {
		return nil, status.Error(codes.InvalidArgument, "no image given")
	}
	s.images.mu.Lock()
	defer s.images.mu.Unlock()
	names := s.images.load()
	names[name] = imageID(name)
	if err := s.images.save(names); err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	log.Printf("pulled %s (stand-in: recorded, nothing downloaded)", name)
	return &runtimeapi.PullImageResponse{ImageRef: names[name]}, nil
}

func (s *server) ImageStatus(_ context.Context, req *runtimeapi.ImageStatusRequest) (*runtimeapi.ImageStatusResponse, error) {
	s.images.mu.Lock()
	defer s.images.mu.Unlock()
	name := req.GetImage().GetImage()
	if id, ok := s.images.load()[name]; ok {
		return &runtimeapi.ImageStatusResponse{Image: toImage(name, id)}, nil
	}
	return &runtimeapi.ImageStatusResponse{}, nil
}

func (s *server) ListImages(context.Context, *runtimeapi.ListImagesRequest) (*runtimeapi.ListImagesResponse, error) {
	s.images.mu.Lock()
	defer s.images.mu.Unlock()
	names := s.images.load()
	sorted := make([]string, 0, len(names))
	for name := range names {
		sorted = append(sorted, name)
	}
	sort.Strings(sorted)
	resp := &runtimeapi.ListImagesResponse{}
	for _, name := range sorted {
		resp.Images = append(resp.Images, toImage(name, names[name]))
	}
	return resp, nil
}

func (s *server) RemoveImage(_ context.Context, req *runtimeapi.RemoveImageRequest) (*runtimeapi.RemoveImageResponse, error) {
	s.images.mu.Lock()
	defer s.images.mu.Unlock()
	names := s.images.load()
	delete(names, req.GetImage().GetImage())
	return &runtimeapi.RemoveImageResponse{}, s.images.save(names)
}

func (s *server) ImageFsInfo(context.Context, *runtimeapi.ImageFsInfoRequest) (*runtimeapi.ImageFsInfoResponse, error) {
	return &runtimeapi.ImageFsInfoResponse{}, nil
}

func main() {
	if len(os.Args) >= 3 && os.Args[1] == "config" && os.Args[2] == "default" {
		fmt.Print(defaultConfig)
		return
	}
	if len(os.Args) >= 2 && (os.Args[1] == "--version" || os.Args[1] == "-v") {
		fmt.Printf("containerd stand-in %s (portal test host, not a container runtime)\n", version)
		return
	}
	address := flag.String("address", "/run/containerd/containerd.sock", "the CRI socket")
	configPath := flag.String("config", "/etc/containerd/config.toml", "containerd configuration (sandbox_image, SystemdCgroup)")
	flag.Parse()

	log.SetPrefix("containerd-standin: ")
	if err := os.MkdirAll(filepath.Dir(*address), 0o711); err != nil {
		log.Fatal(err)
	}
	_ = os.Remove(*address)
	listener, err := net.Listen("unix", *address)
	if err != nil {
		log.Fatal(err)
	}
	grpcServer := grpc.NewServer()
	srv := &server{configPath: *configPath, images: &images{path: filepath.Join(stateDir, "images.json")}}
	runtimeapi.RegisterRuntimeServiceServer(grpcServer, srv)
	runtimeapi.RegisterImageServiceServer(grpcServer, srv)

	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-signals
		stopped := make(chan struct{})
		go func() { grpcServer.GracefulStop(); close(stopped) }()
		select {
		case <-stopped:
		case <-time.After(2 * time.Second):
			grpcServer.Stop()
		}
	}()
	log.Printf("serving the CRI (stand-in) on %s", *address)
	if err := grpcServer.Serve(listener); err != nil {
		log.Fatal(err)
	}
}
