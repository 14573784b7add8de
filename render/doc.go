// Package render turns validated specs into the Kubernetes objects an
// Environment gets: per Model a Namespace, IRSA ServiceAccount, Deployment,
// Service, HorizontalPodAutoscaler, PodDisruptionBudget, Karpenter NodePools
// and Istio routing and policy; per Gateway the AI gateway runtime and its
// Bedrock/SageMaker egress; per Environment the EC2NodeClass, the Istio
// ingress Gateway and the ALB Ingress.
//
// Each spec's objects are built in memory, run through kustomize (krusty on
// an in-memory filesystem; on a cold render several specs per build, builds
// in parallel) and cached by a hash of their inputs, so re-rendering after
// one change rebuilds one spec. An Environment's overlay
// is applied the way `kustomize build` on the overlay would, but only to the
// objects its patches target. Output is sorted and byte-for-byte
// deterministic. Render does no I/O beyond reading the fs.FS it is given.
package render
