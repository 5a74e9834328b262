package s3api

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"net/http"
)

// maxSTSBody bounds an STS request body (a short form).
const maxSTSBody = 64 << 10

const stsNamespace = "https://sts.amazonaws.com/doc/2011-06-15/"

// serveSTS answers the STS query protocol: POST / with a form whose
// Action is GetCallerIdentity.
func (h *Handler) serveSTS(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxSTSBody)
	if err := r.ParseForm(); err != nil {
		writeSTSError(w, http.StatusBadRequest, "InvalidParameterValue", "reading the form: "+err.Error())
		return
	}
	action := r.Form.Get("Action")
	switch action {
	case "GetCallerIdentity":
	case "":
		writeSTSError(w, http.StatusBadRequest, "MissingAction", "the request has no Action")
		return
	default:
		writeSTSError(w, http.StatusBadRequest, "InvalidAction", "STS action "+action+" is not supported; only GetCallerIdentity is")
		return
	}
	type result struct {
		Arn     string `xml:"Arn"`
		UserID  string `xml:"UserId"`
		Account string `xml:"Account"`
	}
	type resp struct {
		XMLName   xml.Name `xml:"GetCallerIdentityResponse"`
		Xmlns     string   `xml:"xmlns,attr"`
		Result    result   `xml:"GetCallerIdentityResult"`
		RequestID string   `xml:"ResponseMetadata>RequestId"`
	}
	w.Header().Set("Content-Type", "text/xml")
	_ = xml.NewEncoder(w).Encode(resp{
		Xmlns:     stsNamespace,
		Result:    result{Arn: "arn:aws:iam::" + h.account + ":user/ferry", UserID: "AIDAFERRY" + h.account, Account: h.account},
		RequestID: requestID(),
	})
}

func requestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func writeSTSError(w http.ResponseWriter, status int, code, msg string) {
	type errBody struct {
		Type    string `xml:"Type"`
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	}
	type resp struct {
		XMLName   xml.Name `xml:"ErrorResponse"`
		Xmlns     string   `xml:"xmlns,attr"`
		Error     errBody  `xml:"Error"`
		RequestID string   `xml:"RequestId"`
	}
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	_ = xml.NewEncoder(w).Encode(resp{Xmlns: stsNamespace, Error: errBody{Type: "Sender", Code: code, Message: msg}, RequestID: requestID()})
}
