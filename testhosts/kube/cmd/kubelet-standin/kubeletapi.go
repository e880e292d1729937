package main

// The kubelet's own HTTPS API on :10250, the part `kubectl logs` uses: the
// API server fetches /containerLogs/<namespace>/<pod>/<container> from here.
// A static Pod's log is its process's output; any other Pod has none (nothing
// runs for it). Clients must present a certificate of the cluster's client CA
// (authentication.x509.clientCAFile, as kubeadm configures the kubelet); the
// real kubelet also asks the API server to authorize each request, which the
// stand-in does not.

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	certutil "k8s.io/client-go/util/cert"
	"k8s.io/klog/v2"
	kubeletconfig "k8s.io/kubelet/config/v1beta1"
)

func serveKubeletAPI(cfg *kubeletconfig.KubeletConfiguration, opts *options, name string, pods *staticPods) {
	if cfg.Authentication.X509.ClientCAFile == "" {
		klog.InfoS("no client CA configured: the kubelet API (:10250) is not served")
		return
	}
	caPEM, err := os.ReadFile(cfg.Authentication.X509.ClientCAFile)
	if err != nil {
		klog.ErrorS(err, "kubelet API not served")
		return
	}
	clientCAs := x509.NewCertPool()
	clientCAs.AppendCertsFromPEM(caPEM)
	serving, err := servingCert(opts, name)
	if err != nil {
		klog.ErrorS(err, "kubelet API not served")
		return
	}
	port := cfg.Port
	if port == 0 {
		port = 10250
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
	mux.HandleFunc("/containerLogs/", func(w http.ResponseWriter, r *http.Request) {
		parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/containerLogs/"), "/")
		if len(parts) != 3 {
			http.NotFound(w, r)
			return
		}
		containerLogs(w, r, pods, name, parts[0], parts[1], parts[2])
	})
	server := &http.Server{
		Addr:    net.JoinHostPort(cfg.Address, strconv.Itoa(int(port))),
		Handler: mux,
		TLSConfig: &tls.Config{
			Certificates: []tls.Certificate{serving},
			ClientAuth:   tls.RequireAndVerifyClientCert,
			ClientCAs:    clientCAs,
			MinVersion:   tls.VersionTLS12,
		},
	}
	go func() {
		if err := server.ListenAndServeTLS("", ""); err != nil {
			klog.ErrorS(err, "kubelet API stopped")
		}
	}()
}

// servingCert: self-signed, kept in the cert dir as the real kubelet keeps
// its kubelet.crt/kubelet.key when serving certificates are not bootstrapped.
func servingCert(opts *options, name string) (tls.Certificate, error) {
	certPath, keyPath := filepath.Join(opts.certDir, "kubelet.crt"), filepath.Join(opts.certDir, "kubelet.key")
	if _, err := os.Stat(certPath); err != nil {
		ip := net.ParseIP(opts.nodeIP)
		if ip == nil {
			ip = net.ParseIP(firstAddress())
		}
		certPEM, keyPEM, err := certutil.GenerateSelfSignedCertKey(name, []net.IP{ip}, nil)
		if err != nil {
			return tls.Certificate{}, err
		}
		if err := os.MkdirAll(opts.certDir, 0o755); err != nil {
			return tls.Certificate{}, err
		}
		if err := os.WriteFile(keyPath, keyPEM, 0o600); err != nil {
			return tls.Certificate{}, err
		}
		if err := os.WriteFile(certPath, certPEM, 0o644); err != nil {
			return tls.Certificate{}, err
		}
	}
	return tls.LoadX509KeyPair(certPath, keyPath)
}

func containerLogs(w http.ResponseWriter, r *http.Request, pods *staticPods, node, namespace, pod, container string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	for _, p := range pods.snapshot() {
		if p.pod.Namespace != namespace || p.pod.Name+"-"+node != pod {
			continue
		}
		text, err := latestLog(filepath.Join(pods.logDir, p.sandbox.ID, container))
		if err != nil {
			http.Error(w, fmt.Sprintf("container %q in pod %q: %v", container, pod, err), http.StatusNotFound)
			return
		}
		if n, err := strconv.Atoi(r.URL.Query().Get("tailLines")); err == nil && n >= 0 {
			lines := strings.SplitAfter(text, "\n")
			if lines[len(lines)-1] == "" {
				lines = lines[:len(lines)-1]
			}
			text = strings.Join(lines[max(0, len(lines)-n):], "")
		}
		_, _ = w.Write([]byte(text))
		return
	}
	// Not a static Pod: nothing runs for it on a test host, so it wrote nothing.
}

// latestLog: the output of the container's latest process (the N.log written last).
func latestLog(dir string) (string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", err
	}
	var best os.FileInfo
	for _, e := range entries {
		info, err := e.Info()
		if err == nil && strings.HasSuffix(e.Name(), ".log") && (best == nil || info.ModTime().After(best.ModTime())) {
			best = info
		}
	}
	if best == nil {
		return "", fmt.Errorf("no log yet")
	}
	data, err := os.ReadFile(filepath.Join(dir, best.Name()))
	return string(data), err
}
