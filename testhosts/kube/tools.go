//go:build tools

// The real kubeadm and kubectl at the pinned version, built next to the
// stand-ins for the tests that run `kubeadm init` / `kubeadm join` on test
// hosts (testhosts/kubebuild.py). Not stand-ins: upstream main packages.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kubeadm"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
