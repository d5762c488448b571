package graphemu

import (
	"math"
	"net/http"
	"strconv"
	"time"
)

// Budget is a token bucket: a tenant may make Requests requests at once and earns Requests
// more every Per. Graph's identity limits are of this kind (per app per tenant); the reports
// endpoints allow about 5 requests per 10 seconds. Each request, including each request inside a
// $batch, costs one token.
type Budget struct {
	Requests int
	Per      time.Duration
}

func (b Budget) enabled() bool { return b.Requests > 0 && b.Per > 0 }

// bucket is one tenant's token bucket. The caller holds the server lock.
type bucket struct {
	budget Budget
	tokens float64
	last   time.Time
}

func newBucket(b Budget, now time.Time) *bucket {
	return &bucket{budget: b, tokens: float64(b.Requests), last: now}
}

// take spends a token, or reports how long until one is available.
func (b *bucket) take(now time.Time) (ok bool, wait time.Duration) {
	rate := float64(b.budget.Requests) / b.budget.Per.Seconds() // tokens per second
	if elapsed := now.Sub(b.last).Seconds(); elapsed > 0 {
		b.tokens = math.Min(float64(b.budget.Requests), b.tokens+elapsed*rate)
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / rate * float64(time.Second))
}

// retryAfterSeconds renders a wait as Graph does: whole seconds, at least one.
func retryAfterSeconds(d time.Duration) string {
	s := int(math.Ceil(d.Seconds()))
	if s < 1 {
		s = 1
	}
	return strconv.Itoa(s)
}

// ThrottleClass names a group of endpoints Graph throttles on their own, besides the tenant-wide
// identity budget.
type ThrottleClass string

// Throttling classes of the emulated endpoints.
const (
	// ThrottleReports covers the reports and sign-in logs (userRegistrationDetails, signIns):
	// about 5 requests per 10 seconds per tenant. Answers carry Retry-After.
	ThrottleReports ThrottleClass = "reports"
	// ThrottleConditionalAccess covers the Conditional Access policies: about 1 request per
	// second per tenant, and its 429s carry no Retry-After: clients must back off themselves.
	ThrottleConditionalAccess ThrottleClass = "conditionalAccess"
	// ThrottleSecureScore covers Secure Score and its control profiles: 150 requests per minute.
	ThrottleSecureScore ThrottleClass = "secureScore"
)

func (c ThrottleClass) sendsRetryAfter() bool { return c != ThrottleConditionalAccess }

// Realistic budgets for a large tenant (more than 500 users), with one token per request: the
// identity service's resource units per 10 seconds, and each class's own limit.
var (
	RealisticTenantBudget            = Budget{Requests: 8000, Per: 10 * time.Second}
	RealisticReportsBudget           = Budget{Requests: 5, Per: 10 * time.Second}
	RealisticConditionalAccessBudget = Budget{Requests: 1, Per: time.Second}
	RealisticSecureScoreBudget       = Budget{Requests: 150, Per: time.Minute}
)

// Fault makes the Nth request a tenant receives (counting from 1 since the tenant was added or
// the server was [Server.Reset], requests inside a $batch counted one by one) fail with Status.
// Code and Message default to what Graph sends for that status.
type Fault struct {
	Nth     int
	Status  int
	Code    string
	Message string
	// RetryAfter is sent verbatim as the Retry-After header: seconds ("2") or an HTTP date.
	RetryAfter string
}

// Throttled is a Fault answering the Nth request with 429 and Retry-After in whole seconds.
func Throttled(nth int, retryAfter time.Duration) Fault {
	return Fault{Nth: nth, Status: http.StatusTooManyRequests, RetryAfter: retryAfterSeconds(retryAfter)}
}
