package irsa

import (
	"slices"
	"strings"
)

// Check evaluates a role's trust policy for one ServiceAccount and returns
// what stops it from assuming the role; nil means it can.
func Check(p *Policy, u RoleUse, prov Provider) []Finding {
	web := webIdentityStatements(p)
	if len(web) == 0 {
		return []Finding{finding(u, SeverityError, CodeNoWebIdentity,
			"trust policy has no Allow statement for %s with a Federated principal", WebIdentityAction)}
	}
	own := trusting(web, prov.ARN())
	if len(own) == 0 {
		return []Finding{providerMismatch(u, web, prov)}
	}
	var best []Finding
	for _, s := range own {
		problems := conditionProblems(s, u, prov)
		if len(problems) == 0 {
			return denials(p, u, prov)
		}
		if best == nil || len(problems) < len(best) {
			best = problems
		}
	}
	return best
}

// webIdentityStatements are the Allow statements granting the web identity
// action to a Federated (or any) principal.
func webIdentityStatements(p *Policy) []Statement {
	var out []Statement
	for _, s := range p.Statement {
		if s.Effect == "Allow" && s.Principal != nil && len(s.NotAction) == 0 &&
			allowsAction(s.Action, WebIdentityAction) && (s.Principal.Any || len(s.Principal.IDs["Federated"]) > 0) {
			out = append(out, s)
		}
	}
	return out
}

func trusting(stmts []Statement, providerARN string) []Statement {
	var out []Statement
	for _, s := range stmts {
		if s.Principal.Any || slices.Contains(s.Principal.IDs["Federated"], providerARN) {
			out = append(out, s)
		}
	}
	return out
}

// providerMismatch explains which provider the policy trusts instead: the
// right issuer in another account, or another provider altogether.
func providerMismatch(u RoleUse, web []Statement, prov Provider) Finding {
	var trusted []string
	for _, s := range web {
		trusted = append(trusted, s.Principal.IDs["Federated"]...)
	}
	for _, arn := range trusted {
		if account, host, ok := parseProviderARN(arn); ok && host == prov.Host() && account != prov.AccountID {
			return finding(u, SeverityError, CodeWrongAccount,
				"trust policy names the cluster's OIDC provider in account %s, want account %s (%s)", account, prov.AccountID, prov.ARN())
		}
	}
	return finding(u, SeverityError, CodeWrongProvider,
		"trust policy trusts %s, not the cluster's OIDC provider %s", strings.Join(trusted, ", "), prov.ARN())
}

// parseProviderARN splits arn:aws:iam::<account>:oidc-provider/<host>.
func parseProviderARN(arn string) (account, host string, ok bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[2] != "iam" {
		return "", "", false
	}
	host, ok = strings.CutPrefix(parts[5], "oidc-provider/")
	return parts[4], host, ok
}

// conditionProblems checks the :sub and :aud conditions of one statement.
func conditionProblems(s Statement, u RoleUse, prov Provider) []Finding {
	var out []Finding
	host := prov.Host()
	sub := evaluate(s.Condition, host+":sub", u.Subject())
	switch {
	case len(sub.tested) == 0:
		out = append(out, finding(u, SeverityError, CodeSubMissing,
			"trust statement has no %s:sub condition; want StringEquals %q", host, u.Subject()))
	case !sub.ok:
		out = append(out, finding(u, SeverityError, CodeSubMismatch,
			"%s:sub allows %s, not %q", host, strings.Join(sub.tested, "; "), u.Subject()))
	}
	aud := evaluate(s.Condition, host+":aud", u.audience())
	switch {
	case len(aud.tested) == 0:
		out = append(out, finding(u, SeverityError, CodeAudMissing,
			"trust statement has no %s:aud condition; want StringEquals %q", host, u.audience()))
	case !aud.ok:
		out = append(out, finding(u, SeverityError, CodeAudMismatch,
			"%s:aud allows %s, not %q", host, strings.Join(aud.tested, "; "), u.audience()))
	}
	return out
}

// result of evaluating every condition on one key.
type result struct {
	ok     bool
	tested []string // "StringEquals [a b]" per operator that named the key
}

// evaluate checks value against every condition on key (keys compare
// case-insensitively, as IAM's do). All operators naming the key must hold.
func evaluate(conds Conditions, key, value string) result {
	r := result{ok: true}
	for _, op := range sortedKeys(conds) {
		for _, k := range sortedKeys(conds[op]) {
			if !strings.EqualFold(k, key) {
				continue
			}
			values := conds[op][k]
			r.tested = append(r.tested, op+" "+quoteAll(values))
			if !operatorHolds(op, values, value) {
				r.ok = false
			}
		}
	}
	return r
}

// operatorHolds applies a string condition operator; operators gitplane
// does not model (negations, IfExists, …) count as not satisfied, so the
// finding names them rather than passing silently.
func operatorHolds(op string, values StringSet, value string) bool {
	op = strings.TrimPrefix(op, "ForAnyValue:")
	for _, v := range values {
		switch op {
		case "StringEquals":
			if v == value {
				return true
			}
		case "StringLike":
			if likeMatch(v, value) {
				return true
			}
		}
	}
	return false
}

// denials reports Deny statements that would block the ServiceAccount.
func denials(p *Policy, u RoleUse, prov Provider) []Finding {
	var out []Finding
	for _, s := range p.Statement {
		if s.Effect != "Deny" || !allowsAction(s.Action, WebIdentityAction) || s.Principal == nil {
			continue
		}
		if !s.Principal.Any && !slices.Contains(s.Principal.IDs["Federated"], prov.ARN()) {
			continue
		}
		sub := evaluate(s.Condition, prov.Host()+":sub", u.Subject())
		aud := evaluate(s.Condition, prov.Host()+":aud", u.audience())
		if sub.ok && aud.ok {
			out = append(out, finding(u, SeverityError, CodeDenied, "trust policy statement %q denies %s", s.Sid, WebIdentityAction))
		}
	}
	return out
}

func quoteAll(values StringSet) string {
	q := make([]string, len(values))
	for i, v := range values {
		q[i] = `"` + v + `"`
	}
	return "[" + strings.Join(q, ", ") + "]"
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
