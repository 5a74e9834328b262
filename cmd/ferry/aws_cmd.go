package main

import (
	"github.com/ferryml/ferry/internal/app"
	"github.com/ferryml/ferry/internal/awsapi"
	"github.com/ferryml/ferry/internal/s3api"
)

// awsConfig is the AWS-compatible listener's configuration: the account id
// from FERRY_AWS_ACCOUNT_ID and the region from FERRY_AWS_REGION (the
// ARNs' defaults 000000000000 and us-east-1), without keys (the caller adds
// them when the home has tokens).
func (m *Main) awsConfig(a *app.App, s3h *s3api.Handler) awsapi.Config {
	return awsapi.Config{
		App:       a,
		S3:        s3h,
		AccountID: m.Getenv("FERRY_AWS_ACCOUNT_ID"),
		Region:    m.Getenv("FERRY_AWS_REGION"),
		Logger:    m.Logger,
	}
}
