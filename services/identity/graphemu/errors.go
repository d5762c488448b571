package graphemu

import (
	"encoding/json"
	"net/http"
	"time"
)

// Graph error codes the emulator returns.
const (
	CodeAuthorizationRequestDenied = "Authorization_RequestDenied"
	CodeNonPremiumTenant           = "Authentication_RequestFromNonPremiumTenantOrB2CTenant"
	CodeTooManyRequests            = "TooManyRequests"
	CodeInvalidAuthenticationToken = "InvalidAuthenticationToken"
	// CodeP2Required is what PIM endpoints answer (with 400) in a tenant without Entra ID P2.
	CodeP2Required = "AadPremiumLicenseRequired"
)

// graphError is an error the emulator answers with, before it becomes a Graph error body.
type graphError struct {
	status     int
	code       string
	message    string
	retryAfter string
}

func badRequest(code, message string) *graphError {
	return &graphError{status: http.StatusBadRequest, code: code, message: message}
}

// errorBody is Graph's error envelope:
// {"error":{"code":…,"message":…,"innerError":{"date":…,"request-id":…,"client-request-id":…}}}.
type errorBody struct {
	Error struct {
		Code       string `json:"code"`
		Message    string `json:"message"`
		InnerError struct {
			Date            string `json:"date"`
			RequestID       string `json:"request-id"`
			ClientRequestID string `json:"client-request-id"`
		} `json:"innerError"`
	} `json:"error"`
}

func marshalError(code, message, requestID, clientRequestID string, now time.Time) []byte {
	var b errorBody
	b.Error.Code = code
	b.Error.Message = message
	// Graph writes innerError.date without a zone designator.
	b.Error.InnerError.Date = now.UTC().Format("2006-01-02T15:04:05")
	b.Error.InnerError.RequestID = requestID
	b.Error.InnerError.ClientRequestID = clientRequestID
	data, _ := json.Marshal(b)
	return data
}

// defaultFault fills a fault's code and message from its status the way Graph words them.
func defaultFault(status int) (code, message string) {
	switch status {
	case http.StatusTooManyRequests:
		return CodeTooManyRequests, "Too many requests. Please try again later."
	case http.StatusInternalServerError:
		return "InternalServerError", "An internal server error occurred while processing the request."
	case http.StatusBadGateway:
		return "BadGateway", "The gateway received an invalid response."
	case http.StatusServiceUnavailable:
		return "ServiceUnavailable", "The service is temporarily unavailable. Please try again later."
	case http.StatusGatewayTimeout:
		return "GatewayTimeout", "The request timed out."
	case http.StatusForbidden:
		return CodeAuthorizationRequestDenied, "Insufficient privileges to complete the operation."
	case http.StatusNotFound:
		return "Request_ResourceNotFound", "Resource does not exist or one of its queried reference-property objects are not present."
	}
	return "UnknownError", http.StatusText(status)
}
