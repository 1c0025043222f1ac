// Package deploy holds goguacd's packaging: the container image
// (Dockerfile), the systemd unit, the Compose setup with Pomerium and the
// Kubernetes manifests. Its tests decode every file strictly and check that
// the pieces are wired to each other (labels, ports, probes, grace periods).
package deploy
