package eksauth

import (
	"context"
	"fmt"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// KubeConfig returns a kubeconfig for cluster whose user runs command with
// args (e.g. gitplane eks token --cluster NAME --region R) as a
// client.authentication.k8s.io/v1beta1 exec plugin: no token is written.
func KubeConfig(c *Cluster, command string, args ...string) ([]byte, error) {
	name := c.Name
	if c.ARN != "" {
		name = c.ARN
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[name] = &clientcmdapi.Cluster{Server: c.Endpoint, CertificateAuthorityData: c.CAData}
	cfg.AuthInfos[name] = &clientcmdapi.AuthInfo{Exec: &clientcmdapi.ExecConfig{
		APIVersion:      "client.authentication.k8s.io/v1beta1",
		Command:         command,
		Args:            args,
		InteractiveMode: clientcmdapi.NeverExecInteractiveMode,
	}}
	cfg.Contexts[name] = &clientcmdapi.Context{Cluster: name, AuthInfo: name}
	cfg.CurrentContext = name
	out, err := clientcmd.Write(*cfg)
	if err != nil {
		return nil, fmt.Errorf("writing kubeconfig for EKS cluster %s: %w", c.Name, err)
	}
	return out, nil
}

// DescribeCluster describes a cluster with the Client's EKS client.
func (c *Client) DescribeCluster(ctx context.Context, name string) (*Cluster, error) {
	return DescribeCluster(ctx, c.eks, name)
}
