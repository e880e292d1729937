package main

// The node's side of the API: its identity (TLS bootstrap), its Node and
// Lease, the mirror Pods of its static Pods and the status of the Pods bound
// to it.

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/util/certificate"
	"k8s.io/component-base/version"
	"k8s.io/klog/v2"
	"k8s.io/kubernetes/pkg/kubelet/certificate/bootstrap"
	"k8s.io/utils/ptr"
)

const (
	heartbeat     = 10 * time.Second
	leaseDuration = 40
	runtimeName   = "containerd://1.7.0-standin"
)

type nodeAgent struct {
	opts   *options
	name   string
	ip     string
	client kubernetes.Interface
	pods   *staticPods
	podIPs map[types.UID]string
}

func runNodeAgent(ctx context.Context, opts *options, name string, pods *staticPods) {
	a := &nodeAgent{opts: opts, name: name, pods: pods, podIPs: map[types.UID]string{}}
	a.ip = opts.nodeIP
	if a.ip == "" {
		a.ip = firstAddress()
	}
	for ctx.Err() == nil {
		client, err := a.connect(ctx)
		if err == nil {
			a.client = client
			break
		}
		klog.ErrorS(err, "no API client yet; retrying")
		sleep(ctx, 2*time.Second)
	}
	for ctx.Err() == nil {
		err := a.register(ctx)
		if err == nil {
			break
		}
		klog.ErrorS(err, "unable to register node; retrying", "node", name)
		sleep(ctx, 2*time.Second)
	}
	klog.InfoS("node registered", "node", name, "address", a.ip)
	lastHeartbeat := time.Time{}
	for ctx.Err() == nil {
		if time.Since(lastHeartbeat) >= heartbeat {
			if err := a.heartbeat(ctx); err != nil {
				klog.ErrorS(err, "node heartbeat failed")
			} else {
				lastHeartbeat = time.Now()
			}
		}
		if err := a.syncPods(ctx); err != nil {
			klog.ErrorS(err, "pod status")
		}
		sleep(ctx, 2*time.Second)
	}
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// connect returns a client with the node's own identity. Without a valid
// --kubeconfig (join), the real kubelet's bootstrap code gets a certificate
// through a CSR with --bootstrap-kubeconfig and writes the kubeconfig. With
// one carrying an embedded certificate (init), that certificate is also put
// in the certificate store, as the real kubelet's client certificate manager
// does, so kubeadm's kubelet-finalize phase finds kubelet-client-current.pem.
func (a *nodeAgent) connect(ctx context.Context) (kubernetes.Interface, error) {
	if a.opts.bootstrapKubeconfig != "" {
		err := bootstrap.LoadClientCert(ctx, a.opts.kubeconfig, a.opts.bootstrapKubeconfig, a.opts.certDir,
			types.NodeName(a.name))
		if err != nil {
			return nil, fmt.Errorf("TLS bootstrap: %w", err)
		}
	}
	raw, err := clientcmd.LoadFromFile(a.opts.kubeconfig)
	if err != nil {
		return nil, err
	}
	if context, ok := raw.Contexts[raw.CurrentContext]; ok {
		if auth, ok := raw.AuthInfos[context.AuthInfo]; ok && len(auth.ClientCertificateData) > 0 {
			store, err := certificate.NewFileStore("kubelet-client", a.opts.certDir, a.opts.certDir, "", "")
			if err == nil {
				if _, err := store.Current(); err != nil {
					if _, err := store.Update(auth.ClientCertificateData, auth.ClientKeyData); err != nil {
						klog.ErrorS(err, "could not store the kubeconfig's client certificate")
					}
				}
			}
		}
	}
	config, err := clientcmd.BuildConfigFromFlags("", a.opts.kubeconfig)
	if err != nil {
		return nil, err
	}
	config.UserAgent = "kubelet-standin/" + version.Get().GitVersion
	return kubernetes.NewForConfig(config)
}

func (a *nodeAgent) register(ctx context.Context) error {
	labels := map[string]string{
		v1.LabelHostname:             a.name,
		v1.LabelOSStable:             runtime.GOOS,
		v1.LabelArchStable:           runtime.GOARCH,
		"beta.kubernetes.io/os":      runtime.GOOS,
		"beta.kubernetes.io/arch":    runtime.GOARCH,
		"node.kubernetes.io/standin": "kubelet", // what runs here is not a real kubelet
	}
	for _, pair := range splitList(a.opts.nodeLabels) {
		key, value, _ := strings.Cut(pair, "=")
		labels[key] = value
	}
	node := &v1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name:        a.name,
			Labels:      labels,
			Annotations: map[string]string{"volumes.kubernetes.io/controller-managed-attach-detach": "true"},
		},
		Spec: v1.NodeSpec{Taints: parseTaints(a.opts.registerWithTaints)},
	}
	node.Status = a.status(nil)
	_, err := a.client.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	return err
}

func (a *nodeAgent) status(previous *v1.NodeStatus) v1.NodeStatus {
	now := metav1.Now()
	capacity := v1.ResourceList{
		v1.ResourceCPU:              *resource.NewQuantity(int64(runtime.NumCPU()), resource.DecimalSI),
		v1.ResourceMemory:           *resource.NewQuantity(memTotal(), resource.BinarySI),
		v1.ResourcePods:             resource.MustParse("110"),
		v1.ResourceEphemeralStorage: resource.MustParse("20Gi"),
	}
	condition := func(t v1.NodeConditionType, s v1.ConditionStatus, reason, message string) v1.NodeCondition {
		transition := now
		if previous != nil {
			for _, c := range previous.Conditions {
				if c.Type == t && c.Status == s {
					transition = c.LastTransitionTime
				}
			}
		}
		return v1.NodeCondition{Type: t, Status: s, Reason: reason, Message: message,
			LastHeartbeatTime: now, LastTransitionTime: transition}
	}
	return v1.NodeStatus{
		Capacity:    capacity,
		Allocatable: capacity,
		Phase:       v1.NodeRunning,
		Conditions: []v1.NodeCondition{
			condition(v1.NodeMemoryPressure, v1.ConditionFalse, "KubeletHasSufficientMemory", "kubelet stand-in"),
			condition(v1.NodeDiskPressure, v1.ConditionFalse, "KubeletHasNoDiskPressure", "kubelet stand-in"),
			condition(v1.NodePIDPressure, v1.ConditionFalse, "KubeletHasSufficientPID", "kubelet stand-in"),
			condition(v1.NodeReady, v1.ConditionTrue, "KubeletReady", "kubelet stand-in is posting ready status"),
		},
		Addresses:       []v1.NodeAddress{{Type: v1.NodeInternalIP, Address: a.ip}, {Type: v1.NodeHostName, Address: a.name}},
		DaemonEndpoints: v1.NodeDaemonEndpoints{KubeletEndpoint: v1.DaemonEndpoint{Port: 10250}},
		NodeInfo: v1.NodeSystemInfo{
			MachineID:               readTrimmed("/etc/machine-id"),
			KernelVersion:           kernelVersion(),
			OSImage:                 osImage(),
			ContainerRuntimeVersion: runtimeName,
			KubeletVersion:          version.Get().GitVersion,
			OperatingSystem:         runtime.GOOS,
			Architecture:            runtime.GOARCH,
		},
	}
}

func (a *nodeAgent) heartbeat(ctx context.Context) error {
	node, err := a.client.CoreV1().Nodes().Get(ctx, a.name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return a.register(ctx) // deleted (e.g. `kubectl delete node`): register again, as the kubelet does
	}
	if err != nil {
		return err
	}
	node.Status = a.status(&node.Status)
	if _, err := a.client.CoreV1().Nodes().UpdateStatus(ctx, node, metav1.UpdateOptions{}); err != nil {
		return err
	}
	return a.renewLease(ctx, node)
}

func (a *nodeAgent) renewLease(ctx context.Context, node *v1.Node) error {
	leases := a.client.CoordinationV1().Leases(v1.NamespaceNodeLease)
	now := metav1.NewMicroTime(time.Now())
	lease, err := leases.Get(ctx, a.name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		lease = &coordinationv1.Lease{
			ObjectMeta: metav1.ObjectMeta{
				Name:      a.name,
				Namespace: v1.NamespaceNodeLease,
				OwnerReferences: []metav1.OwnerReference{{
					APIVersion: "v1", Kind: "Node", Name: node.Name, UID: node.UID,
				}},
			},
			Spec: coordinationv1.LeaseSpec{
				HolderIdentity:       ptr.To(a.name),
				LeaseDurationSeconds: ptr.To(int32(leaseDuration)),
				RenewTime:            &now,
			},
		}
		_, err = leases.Create(ctx, lease, metav1.CreateOptions{})
		return err
	}
	if err != nil {
		return err
	}
	lease.Spec.RenewTime = &now
	_, err = leases.Update(ctx, lease, metav1.UpdateOptions{})
	return err
}

func splitList(value string) []string {
	var out []string
	for _, item := range strings.Split(value, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// parseTaints reads --register-with-taints: "key=value:Effect,key:Effect".
func parseTaints(value string) []v1.Taint {
	var taints []v1.Taint
	for _, item := range splitList(value) {
		keyValue, effect, _ := strings.Cut(item, ":")
		key, val, _ := strings.Cut(keyValue, "=")
		taints = append(taints, v1.Taint{Key: key, Value: val, Effect: v1.TaintEffect(effect)})
	}
	return taints
}

func firstAddress() string {
	addrs, _ := net.InterfaceAddrs()
	for _, addr := range addrs {
		if ipnet, ok := addr.(*net.IPNet); ok && ipnet.IP.To4() != nil && !ipnet.IP.IsLoopback() {
			return ipnet.IP.String()
		}
	}
	return "127.0.0.1"
}

func memTotal() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 1 << 30
	}
	defer f.Close()
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		fields := strings.Fields(scanner.Text())
		if len(fields) >= 2 && fields[0] == "MemTotal:" {
			kb, _ := strconv.ParseInt(fields[1], 10, 64)
			return kb * 1024
		}
	}
	return 1 << 30
}

func readTrimmed(path string) string {
	data, _ := os.ReadFile(path)
	return strings.TrimSpace(string(data))
}

func kernelVersion() string {
	return readTrimmed("/proc/sys/kernel/osrelease")
}

func osImage() string {
	for _, line := range strings.Split(readTrimmed("/etc/os-release"), "\n") {
		if value, ok := strings.CutPrefix(line, "PRETTY_NAME="); ok {
			return strings.Trim(value, `"`)
		}
	}
	return "Linux"
}
