// Package awstest runs fake AWS services for the AWS side's tests.
// They are httptest servers that speak each service's real wire protocol (EKS REST-JSON, IAM and EC2
// query/XML), so the real SDK clients, pointed at them with BaseEndpoint,
// serialise, sign, retry and parse exactly as they do against AWS. Each fake
// checks the SigV4 Authorization header and can throttle its next N requests.
package awstest
