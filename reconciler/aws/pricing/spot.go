package pricing

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/gitplane/gitplane/schema/gpu"
)

// SpotPrice is an instance type's current spot price: the cheapest zone's,
// and every zone's.
type SpotPrice struct {
	USD  float64 // per hour, cheapest zone
	AZ   string  // the cheapest zone
	ByAZ map[string]float64
	At   time.Time // when the cheapest zone's price took effect
}

// SpotPrices reads the spot price in effect at now for each instance type
// and zone (the latest record per type and zone) and returns it per type.
func SpotPrices(ctx context.Context, api ec2.DescribeSpotPriceHistoryAPIClient, types []string, product string, now time.Time) (map[string]SpotPrice, error) {
	latest := map[[2]string]ec2types.SpotPrice{}
	// a bounded number of instance types per request; EC2 pages the records
	for chunk := range slices.Chunk(types, 100) {
		in := &ec2.DescribeSpotPriceHistoryInput{
			InstanceTypes:       toEC2Types(chunk),
			ProductDescriptions: []string{product},
			StartTime:           aws.Time(now),
		}
		pages := ec2.NewDescribeSpotPriceHistoryPaginator(api, in)
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("reading EC2 spot price history: %w", err)
			}
			for _, p := range page.SpotPriceHistory {
				key := [2]string{string(p.InstanceType), aws.ToString(p.AvailabilityZone)}
				if cur, ok := latest[key]; !ok || aws.ToTime(p.Timestamp).After(aws.ToTime(cur.Timestamp)) {
					latest[key] = p
				}
			}
		}
	}
	return byType(latest)
}

func byType(latest map[[2]string]ec2types.SpotPrice) (map[string]SpotPrice, error) {
	out := map[string]SpotPrice{}
	keys := slices.SortedFunc(maps.Keys(latest), func(a, b [2]string) int {
		return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1]))
	})
	for _, key := range keys {
		p := latest[key]
		usd, err := strconv.ParseFloat(aws.ToString(p.SpotPrice), 64)
		if err != nil {
			return nil, fmt.Errorf("spot price %q of %s in %s: %w", aws.ToString(p.SpotPrice), key[0], key[1], err)
		}
		sp, ok := out[key[0]]
		if !ok {
			sp = SpotPrice{USD: usd, AZ: key[1], At: aws.ToTime(p.Timestamp), ByAZ: map[string]float64{}}
		}
		sp.ByAZ[key[1]] = usd
		if usd < sp.USD {
			sp.USD, sp.AZ, sp.At = usd, key[1], aws.ToTime(p.Timestamp)
		}
		out[key[0]] = sp
	}
	return out, nil
}

func toEC2Types(names []string) []ec2types.InstanceType {
	out := make([]ec2types.InstanceType, len(names))
	for i, n := range names {
		out[i] = ec2types.InstanceType(n)
	}
	return out
}

func sortByOnDemand(types []gpu.InstanceType) []gpu.InstanceType {
	slices.SortFunc(types, func(a, b gpu.InstanceType) int {
		return cmp.Or(cmp.Compare(priceOrMax(a.OnDemandUSD), priceOrMax(b.OnDemandUSD)), cmp.Compare(a.Name, b.Name))
	})
	return types
}

// priceOrMax sorts unknown (zero) prices last.
func priceOrMax(usd float64) float64 {
	if usd == 0 {
		return 1e9
	}
	return usd
}
