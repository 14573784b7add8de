package irsa

import (
	"cmp"
	"slices"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// IRSA ServiceAccount annotations (aws/amazon-eks-pod-identity-webhook).
const (
	AnnotationRoleARN  = "eks.amazonaws.com/role-arn"
	AnnotationAudience = "eks.amazonaws.com/audience"
)

// RoleUses lists the ServiceAccounts among objs that assume a role through
// IRSA, sorted by role, namespace and name.
func RoleUses(objs []*unstructured.Unstructured) []RoleUse {
	var out []RoleUse
	for _, o := range objs {
		if o.GetKind() != "ServiceAccount" || o.GetAPIVersion() != "v1" {
			continue
		}
		ann := o.GetAnnotations()
		if ann[AnnotationRoleARN] == "" {
			continue
		}
		out = append(out, RoleUse{
			RoleARN:        ann[AnnotationRoleARN],
			Namespace:      o.GetNamespace(),
			ServiceAccount: o.GetName(),
			Audience:       ann[AnnotationAudience],
		})
	}
	slices.SortFunc(out, func(a, b RoleUse) int {
		return cmp.Or(cmp.Compare(a.RoleARN, b.RoleARN), cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.ServiceAccount, b.ServiceAccount))
	})
	return slices.Compact(out)
}
