package eksauth

import (
	"encoding/json"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clientauthv1beta1 "k8s.io/client-go/pkg/apis/clientauthentication/v1beta1"
)

// ExecCredential renders tok as the client.authentication.k8s.io/v1beta1
// ExecCredential kubectl's exec credential plugins print.
func ExecCredential(tok Token) ([]byte, error) {
	exp := metav1.NewTime(tok.Expiration.UTC())
	cred := clientauthv1beta1.ExecCredential{
		TypeMeta: metav1.TypeMeta{APIVersion: clientauthv1beta1.SchemeGroupVersion.String(), Kind: "ExecCredential"},
		Status:   &clientauthv1beta1.ExecCredentialStatus{Token: tok.Value, ExpirationTimestamp: &exp},
	}
	out, err := json.MarshalIndent(cred, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding ExecCredential: %w", err)
	}
	return append(out, '\n'), nil
}
