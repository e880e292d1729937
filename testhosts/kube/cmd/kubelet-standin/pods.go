package main

// Mirror Pods for the static Pods, and the status of every Pod bound to this
// node. Pods other than the static ones cannot run here (no runtime): they are
// reported Running and Ready, as kwok reports them, so that Deployments and
// DaemonSets (CoreDNS, kube-proxy, a pod network) roll out.

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"net"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"
)

const (
	annotationSource = "kubernetes.io/config.source"
	annotationHash   = "kubernetes.io/config.hash"
	annotationMirror = "kubernetes.io/config.mirror"
	annotationSeen   = "kubernetes.io/config.seen"
)

// syncMirrorPods creates the mirror Pod of each static Pod, replacing one of
// an older manifest. `bound` are the Pods bound to this node: a node may only
// read those (the Node authorizer), so a missing mirror Pod is seen there.
func (a *nodeAgent) syncMirrorPods(ctx context.Context, node *v1.Node, bound []v1.Pod) {
	existingPods := map[string]*v1.Pod{}
	for i := range bound {
		existingPods[bound[i].Namespace+"/"+bound[i].Name] = &bound[i]
	}
	for _, p := range a.pods.snapshot() {
		mirror := p.pod.DeepCopy()
		mirror.Name = p.pod.Name + "-" + a.name
		if mirror.Namespace == "" {
			mirror.Namespace = metav1.NamespaceDefault
		}
		mirror.UID = ""
		if mirror.Annotations == nil {
			mirror.Annotations = map[string]string{}
		}
		mirror.Annotations[annotationSource] = "file"
		mirror.Annotations[annotationHash] = p.hash
		mirror.Annotations[annotationMirror] = p.hash
		mirror.Annotations[annotationSeen] = p.startedAt.UTC().Format("2006-01-02T15:04:05.000000000Z")
		mirror.Spec.NodeName = a.name
		mirror.OwnerReferences = []metav1.OwnerReference{{
			APIVersion: "v1", Kind: "Node", Name: node.Name, UID: node.UID, Controller: ptr.To(true),
		}}
		pods := a.client.CoreV1().Pods(mirror.Namespace)
		existing := existingPods[mirror.Namespace+"/"+mirror.Name]
		if existing != nil && existing.Annotations[annotationMirror] == p.hash {
			continue
		}
		if existing != nil {
			// The manifest changed: the kubelet replaces the mirror Pod.
			_ = pods.Delete(ctx, existing.Name, metav1.DeleteOptions{GracePeriodSeconds: ptr.To(int64(0))})
		}
		if _, err := pods.Create(ctx, mirror, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			klog.ErrorS(err, "could not create mirror Pod", "pod", mirror.Name)
		}
	}
}

func (a *nodeAgent) syncPods(ctx context.Context) error {
	node, err := a.client.CoreV1().Nodes().Get(ctx, a.name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	list, err := a.client.CoreV1().Pods(metav1.NamespaceAll).List(ctx, metav1.ListOptions{
		FieldSelector: fields.OneTermEqualSelector("spec.nodeName", a.name).String(),
	})
	if err != nil {
		return err
	}
	a.syncMirrorPods(ctx, node, list.Items)
	static := map[string]*staticPod{}
	for _, p := range a.pods.snapshot() {
		static[p.pod.Name+"-"+a.name] = p
	}
	for i := range list.Items {
		pod := &list.Items[i]
		pods := a.client.CoreV1().Pods(pod.Namespace)
		if pod.DeletionTimestamp != nil {
			// Nothing runs for it: it has stopped at once.
			err := pods.Delete(ctx, pod.Name, metav1.DeleteOptions{
				GracePeriodSeconds: ptr.To(int64(0)),
				Preconditions:      &metav1.Preconditions{UID: &pod.UID},
			})
			if err != nil && !apierrors.IsNotFound(err) {
				klog.ErrorS(err, "could not delete Pod", "pod", pod.Namespace+"/"+pod.Name)
			}
			continue
		}
		sp, isStatic := static[pod.Name]
		if _, mirror := pod.Annotations[annotationMirror]; mirror && !isStatic {
			continue // a mirror Pod whose manifest is gone; the next sync removes it
		}
		status := a.podStatus(pod, node, sp)
		if statusEqual(&pod.Status, &status) {
			continue
		}
		pod.Status = status
		if _, err := pods.UpdateStatus(ctx, pod, metav1.UpdateOptions{}); err != nil && !apierrors.IsConflict(err) {
			klog.ErrorS(err, "could not update Pod status", "pod", pod.Namespace+"/"+pod.Name)
		}
	}
	// Mirror Pods whose static Pod is gone.
	for i := range list.Items {
		pod := &list.Items[i]
		if _, mirror := pod.Annotations[annotationMirror]; mirror && static[pod.Name] == nil && pod.DeletionTimestamp == nil {
			_ = a.client.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name,
				metav1.DeleteOptions{GracePeriodSeconds: ptr.To(int64(0))})
		}
	}
	return nil
}

// podStatus: a static Pod is Ready while all its processes run; any other Pod
// is reported Running and Ready (it cannot run here).
func (a *nodeAgent) podStatus(pod *v1.Pod, node *v1.Node, sp *staticPod) v1.PodStatus {
	ready := true
	status := v1.PodStatus{
		Phase:     v1.PodRunning,
		HostIP:    a.ip,
		HostIPs:   []v1.HostIP{{IP: a.ip}},
		StartTime: pod.Status.StartTime,
		QOSClass:  pod.Status.QOSClass,
	}
	if status.StartTime == nil {
		now := metav1.Now()
		status.StartTime = &now
	}
	for _, c := range pod.Spec.Containers {
		up := sp == nil || sp.isRunning(c.Name)
		ready = ready && up
		cs := v1.ContainerStatus{
			Name:        c.Name,
			Image:       c.Image,
			ImageID:     c.Image,
			ContainerID: fmt.Sprintf("containerd://standin-%x", sha256.Sum256([]byte(string(pod.UID)+c.Name)))[:40],
			Ready:       up,
			Started:     ptr.To(up),
		}
		if up {
			cs.State.Running = &v1.ContainerStateRunning{StartedAt: *status.StartTime}
		} else {
			cs.State.Waiting = &v1.ContainerStateWaiting{Reason: "ContainerCreating"}
		}
		status.ContainerStatuses = append(status.ContainerStatuses, cs)
	}
	for _, c := range pod.Spec.InitContainers {
		status.InitContainerStatuses = append(status.InitContainerStatuses, v1.ContainerStatus{
			Name: c.Name, Image: c.Image, ImageID: c.Image, Ready: true,
			State: v1.ContainerState{Terminated: &v1.ContainerStateTerminated{Reason: "Completed"}},
		})
	}
	readiness := v1.ConditionTrue
	if !ready {
		readiness = v1.ConditionFalse
	}
	for _, t := range []v1.PodConditionType{v1.PodReadyToStartContainers, v1.PodInitialized, v1.ContainersReady, v1.PodReady, v1.PodScheduled} {
		s := readiness
		if t == v1.PodInitialized || t == v1.PodScheduled || t == v1.PodReadyToStartContainers {
			s = v1.ConditionTrue
		}
		transition := metav1.Now()
		for _, c := range pod.Status.Conditions {
			if c.Type == t && c.Status == s {
				transition = c.LastTransitionTime
			}
		}
		status.Conditions = append(status.Conditions, v1.PodCondition{Type: t, Status: s, LastTransitionTime: transition})
	}
	ip := a.ip
	if !pod.Spec.HostNetwork {
		ip = a.podIP(pod, node)
	}
	status.PodIP = ip
	status.PodIPs = []v1.PodIP{{IP: ip}}
	return status
}

// podIP: an address of the node's pod CIDR, stable per Pod (nothing answers on it).
func (a *nodeAgent) podIP(pod *v1.Pod, node *v1.Node) string {
	if ip, ok := a.podIPs[pod.UID]; ok {
		return ip
	}
	if pod.Status.PodIP != "" && pod.Status.PodIP != a.ip {
		a.podIPs[pod.UID] = pod.Status.PodIP // given before a restart of the stand-in
		return pod.Status.PodIP
	}
	_, cidr, err := net.ParseCIDR(node.Spec.PodCIDR)
	if err != nil || cidr.IP.To4() == nil {
		return a.ip
	}
	ones, bits := cidr.Mask.Size()
	size := uint32(1) << (bits - ones)
	base := binary.BigEndian.Uint32(cidr.IP.To4())
	taken := map[string]bool{}
	for _, ip := range a.podIPs {
		taken[ip] = true
	}
	for offset := uint32(2); offset < size-1; offset++ {
		ip := make(net.IP, 4)
		binary.BigEndian.PutUint32(ip, base+offset)
		if !taken[ip.String()] {
			a.podIPs[pod.UID] = ip.String()
			return ip.String()
		}
	}
	return a.ip
}

func statusEqual(old, updated *v1.PodStatus) bool {
	if old.Phase != updated.Phase || old.PodIP != updated.PodIP || len(old.ContainerStatuses) != len(updated.ContainerStatuses) {
		return false
	}
	for i := range old.ContainerStatuses {
		if old.ContainerStatuses[i].Ready != updated.ContainerStatuses[i].Ready {
			return false
		}
	}
	for _, c := range updated.Conditions {
		found := false
		for _, o := range old.Conditions {
			if o.Type == c.Type && o.Status == c.Status {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return true
}
