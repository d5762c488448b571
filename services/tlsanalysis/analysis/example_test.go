package analysis_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/hybridkit/hybridkit/services/tlsanalysis/analysis"
)

func ExampleAnalyzer() {
	log := `#Log-type: SMTP Receive Protocol Log
#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context
2024-03-04T10:00:00.000Z,EX01\Default Frontend EX01,08DC3C84A4B5C001,0,10.0.0.1:25,203.0.113.7:50000,+,,
2024-03-04T10:00:00.100Z,EX01\Default Frontend EX01,08DC3C84A4B5C001,1,10.0.0.1:25,203.0.113.7:50000,<,EHLO mta.fabrikam.example,
2024-03-04T10:00:00.200Z,EX01\Default Frontend EX01,08DC3C84A4B5C001,2,10.0.0.1:25,203.0.113.7:50000,<,STARTTLS,
2024-03-04T10:00:00.300Z,EX01\Default Frontend EX01,08DC3C84A4B5C001,3,10.0.0.1:25,203.0.113.7:50000,*,,"TLS protocol SP_PROT_TLS1_0_SERVER negotiation succeeded using bulk encryption algorithm CALG_AES_128 with strength 128 bits, MAC hash algorithm CALG_SHA1 with strength 160 bits and key exchange algorithm CALG_ECDH_EPHEM with strength 256 bits"
2024-03-04T10:00:01.000Z,EX01\Default Frontend EX01,08DC3C84A4B5C001,4,10.0.0.1:25,203.0.113.7:50000,-,,Local
`
	a := analysis.New(analysis.Options{})
	if err := a.AddFile(context.Background(), "RECV2024030410-1.LOG", strings.NewReader(log)); err != nil {
		fmt.Println(err)
		return
	}
	res := a.Finish()
	for _, r := range res.Remotes {
		fmt.Println(r.Direction, r.IP, r.Names, "legacy:", r.Counts.Legacy())
	}
	for _, c := range res.Ciphers {
		fmt.Println(c.Name(), "weak:", c.Reason)
	}
	// Output:
	// receive 203.0.113.7 [mta.fabrikam.example] legacy: 1
	// TLS1.0 CALG_AES_128/CALG_SHA1/CALG_ECDH_EPHEM weak: weak MAC hash
}
