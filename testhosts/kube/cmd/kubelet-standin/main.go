// STAND-IN for the kubelet on a portal test host (testhosts/), not a kubelet.
//
// A test host has no container runtime and no cgroups of its own, so the real
// kubelet cannot run there. This program does the part of the kubelet's job
// that `kubeadm init` and `kubeadm join` depend on, from the files kubeadm
// writes, with the kubelet's own flags:
//
//   - reads --config (/var/lib/kubelet/config.yaml) and the flags of
//     /var/lib/kubelet/kubeadm-flags.env (passed on the command line by the
//     systemd unit, as for the real kubelet);
//   - serves /healthz on healthzBindAddress:healthzPort (127.0.0.1:10248);
//   - runs the static Pods of staticPodPath (/etc/kubernetes/manifests) as
//     local processes: each container's command and args, with the binary
//     named by the image (kube-apiserver, etcd...) taken from
//     --standin-images-dir; restarts them when their manifest changes and
//     stops them when it is removed (they use hostNetwork and hostPath, so
//     every path and port is the host's own);
//   - performs the kubelet's TLS bootstrap with the real kubelet's code
//     (k8s.io/kubernetes/pkg/kubelet/certificate/bootstrap): a CSR that the
//     cluster's own controllers approve and sign;
//   - registers its Node, keeps it Ready (node status and Lease), creates the
//     mirror Pods of its static Pods, and reports the other Pods bound to it
//     as Running, as kwok does, since nothing can run their images here;
//   - serves the static Pods' output on :10250 for `kubectl logs`.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/pflag"
	"k8s.io/component-base/version"
	"k8s.io/klog/v2"
	kubeletconfig "k8s.io/kubelet/config/v1beta1"
	"sigs.k8s.io/yaml"
)

type options struct {
	kubeconfig          string
	bootstrapKubeconfig string
	config              string
	hostnameOverride    string
	nodeIP              string
	certDir             string
	nodeLabels          string
	registerWithTaints  string
	imagesDir           string
	podLogDir           string
}

func parseFlags(args []string) (*options, error) {
	o := &options{}
	fs := pflag.NewFlagSet("kubelet", pflag.ContinueOnError)
	// Flags of the real kubelet that a stand-in has no use for are accepted and ignored.
	fs.ParseErrorsAllowlist.UnknownFlags = true
	fs.StringVar(&o.kubeconfig, "kubeconfig", "", "kubeconfig of the node's identity")
	fs.StringVar(&o.bootstrapKubeconfig, "bootstrap-kubeconfig", "", "kubeconfig for the TLS bootstrap")
	fs.StringVar(&o.config, "config", "", "KubeletConfiguration file")
	fs.StringVar(&o.hostnameOverride, "hostname-override", "", "node name")
	fs.StringVar(&o.nodeIP, "node-ip", "", "node address")
	fs.StringVar(&o.certDir, "cert-dir", "/var/lib/kubelet/pki", "certificate directory")
	fs.StringVar(&o.nodeLabels, "node-labels", "", "labels to register the node with")
	fs.StringVar(&o.registerWithTaints, "register-with-taints", "", "taints to register the node with")
	fs.StringVar(&o.imagesDir, "standin-images-dir", "/usr/lib/kubelet-standin/images",
		"directory with one executable per image name (kube-apiserver, etcd...), run for static Pods")
	fs.StringVar(&o.podLogDir, "standin-pod-log-dir", "/var/log/pods", "where static Pods' output goes")
	var showVersion bool
	fs.BoolVar(&showVersion, "version", false, "print the version")
	klogFlags := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(klogFlags)
	fs.AddGoFlagSet(klogFlags)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if showVersion {
		// Exactly the real kubelet's output: kubeadm's preflight parses it.
		fmt.Printf("Kubernetes %s\n", version.Get().GitVersion)
		os.Exit(0)
	}
	return o, nil
}

// readConfig reads the KubeletConfiguration that kubeadm wrote; only the
// fields a stand-in acts on are used.
func readConfig(path string) (*kubeletconfig.KubeletConfiguration, error) {
	cfg := &kubeletconfig.KubeletConfiguration{}
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("failed to load kubelet config file %s: %w", path, err)
		}
		if err := yaml.Unmarshal(data, cfg); err != nil {
			return nil, fmt.Errorf("failed to parse kubelet config file %s: %w", path, err)
		}
	}
	if cfg.HealthzBindAddress == "" {
		cfg.HealthzBindAddress = "127.0.0.1"
	}
	if cfg.HealthzPort == nil {
		port := int32(10248)
		cfg.HealthzPort = &port
	}
	return cfg, nil
}

func nodeName(o *options) (string, error) {
	if o.hostnameOverride != "" {
		return strings.ToLower(strings.TrimSpace(o.hostnameOverride)), nil
	}
	name, err := os.Hostname()
	return strings.ToLower(strings.TrimSpace(name)), err
}

func serveHealthz(cfg *kubeletconfig.KubeletConfiguration) {
	if *cfg.HealthzPort == 0 {
		return
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
	address := net.JoinHostPort(cfg.HealthzBindAddress, strconv.Itoa(int(*cfg.HealthzPort)))
	go func() {
		if err := http.ListenAndServe(address, mux); err != nil {
			klog.Fatalf("healthz on %s: %v", address, err)
		}
	}()
}

func main() {
	opts, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	cfg, err := readConfig(opts.config)
	if err != nil {
		// As the real kubelet: no config yet (before kubeadm ran) is a crash.
		klog.ErrorS(err, "command failed")
		os.Exit(1)
	}
	name, err := nodeName(opts)
	if err != nil {
		klog.Fatal(err)
	}
	klog.InfoS("kubelet STAND-IN starting", "version", version.Get().GitVersion, "node", name,
		"staticPodPath", cfg.StaticPodPath)

	ctx, cancel := context.WithCancel(context.Background())
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)

	serveHealthz(cfg)
	pods := newStaticPods(cfg.StaticPodPath, opts.imagesDir, opts.podLogDir)
	serveKubeletAPI(cfg, opts, name, pods)
	go pods.run(ctx)
	go runNodeAgent(ctx, opts, name, pods)

	sig := <-signals
	klog.InfoS("stopping", "signal", sig)
	cancel()
	pods.detachAll()
	time.Sleep(100 * time.Millisecond)
}
