// Package pricing estimates what a Model's GPU nodes cost. The embedded
// catalog in schema/gpu (instance facts and dated us-east-1 on-demand list
// prices) is the offline default; with AWS access, Live refreshes the
// instance facts with ec2:DescribeInstanceTypes and reads current spot
// prices with ec2:DescribeSpotPriceHistory. Estimate lists the instance
// types a replica fits on, cheapest first, and the $/hour and $/month at the
// Model's minimum and maximum replicas for spot and on-demand capacity.
package pricing
