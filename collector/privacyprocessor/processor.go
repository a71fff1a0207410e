package privacyprocessor

import (
	"context"
	"fmt"

	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"
)

// privacyProcessor fails closed: a batch that the redactor cannot finish (a panic) is dropped,
// logged and counted, and the client is told it was refused; it never goes on half redacted.
type privacyProcessor struct {
	redactor *redactor
	logger   *zap.Logger
	failed   metric.Int64Counter
}

func (p *privacyProcessor) guard(ctx context.Context, signal string, items int, redact func()) (err error) {
	defer func() {
		if recovered := recover(); recovered != nil {
			p.failed.Add(ctx, 1)
			p.logger.Error("tta_privacy could not redact a batch: it was dropped, never passed on",
				zap.String("signal", signal), zap.Int("items", items), zap.Any("panic", recovered))
			err = consumererror.NewPermanent(fmt.Errorf("tta_privacy: batch dropped, redaction failed: %v", recovered))
		}
	}()
	redact()
	return nil
}

func (p *privacyProcessor) processTraces(ctx context.Context, td ptrace.Traces) (ptrace.Traces, error) {
	return td, p.guard(ctx, "traces", td.SpanCount(), func() { p.redactor.traces(td) })
}

func (p *privacyProcessor) processLogs(ctx context.Context, ld plog.Logs) (plog.Logs, error) {
	return ld, p.guard(ctx, "logs", ld.LogRecordCount(), func() { p.redactor.logs(ld) })
}

func (p *privacyProcessor) processMetrics(ctx context.Context, md pmetric.Metrics) (pmetric.Metrics, error) {
	return md, p.guard(ctx, "metrics", md.DataPointCount(), func() { p.redactor.metrics(md) })
}
