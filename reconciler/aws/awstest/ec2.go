package awstest

import (
	"cmp"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
)

// InstanceType is one EC2 instance type the fake EC2 offers.
type InstanceType struct {
	Name      string
	GPUName   string // as EC2 writes it, e.g. "A10G"
	GPUs      int32
	GPUMiB    int64
	VCPU      int32
	MemoryMiB int64
}

// SpotPrice is one spot price history record.
type SpotPrice struct {
	InstanceType string
	AZ           string
	Product      string // default "Linux/UNIX"
	USD          string
	Time         time.Time
}

// EC2 is a fake EC2 API answering DescribeInstanceTypes and
// DescribeSpotPriceHistory in the EC2 query protocol with XML, paginated.
type EC2 struct {
	recorder
	URL      string
	PageSize int
	types    []InstanceType
	spot     []SpotPrice
}

// NewEC2 starts a fake EC2; it stops with the test.
func NewEC2(t testing.TB, types []InstanceType, spot []SpotPrice) *EC2 {
	f := &EC2{types: types, spot: spot, PageSize: 3}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { f.serve(t, w, r) }))
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

// Options points an EC2 client at the fake.
func (f *EC2) Options(o *ec2.Options) { o.BaseEndpoint = aws.String(f.URL) }

func (f *EC2) serve(t testing.TB, w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.Method != http.MethodPost || r.PostForm.Get("Version") != "2016-11-15" {
		ec2Error(w, http.StatusBadRequest, "InvalidParameterValue", "want a POST form with Version=2016-11-15")
		return
	}
	action := r.PostForm.Get("Action")
	if f.record(action) {
		ec2Error(w, http.StatusServiceUnavailable, "RequestLimitExceeded", "Request limit exceeded.")
		return
	}
	if !signed(t, r, "ec2") {
		ec2Error(w, http.StatusUnauthorized, "AuthFailure", "missing signature")
		return
	}
	switch action {
	case "DescribeInstanceTypes":
		f.describeInstanceTypes(w, r.PostForm)
	case "DescribeSpotPriceHistory":
		f.describeSpotPriceHistory(w, r.PostForm)
	default:
		ec2Error(w, http.StatusBadRequest, "InvalidAction", "fake EC2 does not implement "+action)
	}
}

func (f *EC2) describeInstanceTypes(w http.ResponseWriter, form url.Values) {
	names, patterns := list(form, "InstanceType"), filterValues(form, "instance-type")
	var items []instanceTypeXML
	for _, it := range f.types {
		if (len(names) == 0 || slices.Contains(names, it.Name)) && matchesAny(patterns, it.Name) {
			items = append(items, toXML(it))
		}
	}
	page, next := paginate(items, form.Get("NextToken"), f.PageSize)
	writeXML(w, http.StatusOK, struct {
		XMLName xml.Name          `xml:"http://ec2.amazonaws.com/doc/2016-11-15/ DescribeInstanceTypesResponse"`
		ID      string            `xml:"requestId"`
		Items   []instanceTypeXML `xml:"instanceTypeSet>item"`
		Next    string            `xml:"nextToken,omitempty"`
	}{ID: "req-1", Items: page, Next: next})
}

// describeSpotPriceHistory answers as EC2 does for a StartTime: the record
// in effect at StartTime for each instance type and zone, plus later ones.
func (f *EC2) describeSpotPriceHistory(w http.ResponseWriter, form url.Values) {
	types, products := list(form, "InstanceType"), list(form, "ProductDescription")
	start, _ := time.Parse(time.RFC3339, form.Get("StartTime"))
	inEffect := map[string]SpotPrice{}
	var items []spotXML
	for _, p := range f.spot {
		if p.Product == "" {
			p.Product = "Linux/UNIX"
		}
		if (len(types) > 0 && !slices.Contains(types, p.InstanceType)) || (len(products) > 0 && !slices.Contains(products, p.Product)) {
			continue
		}
		if p.Time.After(start) {
			items = append(items, spotToXML(p))
			continue
		}
		if cur, ok := inEffect[p.InstanceType+"/"+p.AZ]; !ok || p.Time.After(cur.Time) {
			inEffect[p.InstanceType+"/"+p.AZ] = p
		}
	}
	for _, p := range inEffect {
		items = append(items, spotToXML(p))
	}
	// a total order, so that every page request sees the same sequence
	slices.SortFunc(items, func(a, b spotXML) int {
		return cmp.Or(b.Timestamp.Compare(a.Timestamp), cmp.Compare(a.InstanceType, b.InstanceType), cmp.Compare(a.AZ, b.AZ))
	})
	page, next := paginate(items, form.Get("NextToken"), f.PageSize)
	writeXML(w, http.StatusOK, struct {
		XMLName xml.Name  `xml:"http://ec2.amazonaws.com/doc/2016-11-15/ DescribeSpotPriceHistoryResponse"`
		ID      string    `xml:"requestId"`
		Items   []spotXML `xml:"spotPriceHistorySet>item"`
		Next    string    `xml:"nextToken"`
	}{ID: "req-2", Items: page, Next: next})
}

type instanceTypeXML struct {
	Name      string   `xml:"instanceType"`
	VCPU      int32    `xml:"vCpuInfo>defaultVCpus"`
	MemoryMiB int64    `xml:"memoryInfo>sizeInMiB"`
	GPUs      []gpuXML `xml:"gpuInfo>gpus>item,omitempty"`
	TotalMiB  int64    `xml:"gpuInfo>totalGpuMemoryInMiB,omitempty"`
}

type gpuXML struct {
	Name         string `xml:"name"`
	Manufacturer string `xml:"manufacturer"`
	Count        int32  `xml:"count"`
	MiB          int64  `xml:"memoryInfo>sizeInMiB"`
}

type spotXML struct {
	AZ           string    `xml:"availabilityZone"`
	InstanceType string    `xml:"instanceType"`
	Product      string    `xml:"productDescription"`
	Price        string    `xml:"spotPrice"`
	Timestamp    time.Time `xml:"timestamp"`
}

func toXML(it InstanceType) instanceTypeXML {
	x := instanceTypeXML{Name: it.Name, VCPU: it.VCPU, MemoryMiB: it.MemoryMiB}
	if it.GPUs > 0 {
		x.GPUs = []gpuXML{{Name: it.GPUName, Manufacturer: "NVIDIA", Count: it.GPUs, MiB: it.GPUMiB}}
		x.TotalMiB = int64(it.GPUs) * it.GPUMiB
	}
	return x
}

func spotToXML(p SpotPrice) spotXML {
	return spotXML{AZ: p.AZ, InstanceType: p.InstanceType, Product: p.Product, Price: p.USD, Timestamp: p.Time.UTC()}
}

// list reads a query-protocol list: Name.1, Name.2, …
func list(form url.Values, name string) []string {
	var out []string
	for i := 1; form.Has(fmt.Sprintf("%s.%d", name, i)); i++ {
		out = append(out, form.Get(fmt.Sprintf("%s.%d", name, i)))
	}
	return out
}

// filterValues reads the values of the Filter.N whose Name is name.
func filterValues(form url.Values, name string) []string {
	for i := 1; form.Has(fmt.Sprintf("Filter.%d.Name", i)); i++ {
		if form.Get(fmt.Sprintf("Filter.%d.Name", i)) == name {
			return list(form, fmt.Sprintf("Filter.%d.Value", i))
		}
	}
	return nil
}

func matchesAny(patterns []string, s string) bool {
	if len(patterns) == 0 {
		return true
	}
	for _, p := range patterns {
		if ok, _ := path.Match(p, s); ok {
			return true
		}
	}
	return false
}

func paginate[T any](items []T, token string, size int) ([]T, string) {
	start, _ := strconv.Atoi(token)
	if start > len(items) {
		start = len(items)
	}
	end := min(start+size, len(items))
	if end == len(items) {
		return items[start:end], ""
	}
	return items[start:end], strconv.Itoa(end)
}

// ec2Error writes an EC2 query-protocol error response.
func ec2Error(w http.ResponseWriter, status int, code, msg string) {
	type errXML struct{ Code, Message string }
	writeXML(w, status, struct {
		XMLName xml.Name `xml:"Response"`
		Errors  []errXML `xml:"Errors>Error"`
		ID      string   `xml:"RequestID"`
	}{Errors: []errXML{{Code: code, Message: msg}}, ID: "req-err"})
}
