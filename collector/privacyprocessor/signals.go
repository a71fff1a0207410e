package privacyprocessor

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Every field of every signal that can carry data: resource and scope attributes; span name,
// attributes, events, links and status message; log body, attributes and event name; metric
// data-point and exemplar attributes.

func (r *redactor) setText(get func() string, set func(string)) {
	if text := get(); text != "" {
		if redacted := r.text(text); redacted != text {
			set(redacted)
		}
	}
}

func (r *redactor) scope(scope pcommon.InstrumentationScope, metric bool) {
	r.attributes(scope.Attributes(), "", false, metric)
}

func (r *redactor) traces(td ptrace.Traces) {
	resources := td.ResourceSpans()
	for i := 0; i < resources.Len(); i++ {
		rs := resources.At(i)
		r.attributes(rs.Resource().Attributes(), "", false, false)
		scopes := rs.ScopeSpans()
		for j := 0; j < scopes.Len(); j++ {
			ss := scopes.At(j)
			r.scope(ss.Scope(), false)
			spans := ss.Spans()
			for k := 0; k < spans.Len(); k++ {
				r.span(spans.At(k))
			}
		}
	}
}

func (r *redactor) span(span ptrace.Span) {
	r.setText(span.Name, span.SetName)
	r.exceptionMessages(span.Attributes())
	r.attributes(span.Attributes(), "", false, false)
	status := span.Status()
	r.setText(status.Message, status.SetMessage)
	events := span.Events()
	for i := 0; i < events.Len(); i++ {
		event := events.At(i)
		r.setText(event.Name, event.SetName)
		r.exceptionMessages(event.Attributes())
		r.attributes(event.Attributes(), "", false, false)
	}
	links := span.Links()
	for i := 0; i < links.Len(); i++ {
		r.attributes(links.At(i).Attributes(), "", false, false)
	}
}

func (r *redactor) logs(ld plog.Logs) {
	resources := ld.ResourceLogs()
	for i := 0; i < resources.Len(); i++ {
		rl := resources.At(i)
		r.attributes(rl.Resource().Attributes(), "", false, false)
		scopes := rl.ScopeLogs()
		for j := 0; j < scopes.Len(); j++ {
			sl := scopes.At(j)
			r.scope(sl.Scope(), false)
			records := sl.LogRecords()
			for k := 0; k < records.Len(); k++ {
				r.logRecord(records.At(k))
			}
		}
	}
}

func (r *redactor) logRecord(record plog.LogRecord) {
	messageInBody(record.Body(), r.exceptionMessages(record.Attributes()))
	r.value(record.Body(), "", r.bodyCap)
	r.setText(record.EventName, record.SetEventName)
	r.attributes(record.Attributes(), "", false, false)
}

func (r *redactor) metrics(md pmetric.Metrics) {
	resources := md.ResourceMetrics()
	for i := 0; i < resources.Len(); i++ {
		rm := resources.At(i)
		r.attributes(rm.Resource().Attributes(), "", false, true)
		scopes := rm.ScopeMetrics()
		for j := 0; j < scopes.Len(); j++ {
			sm := scopes.At(j)
			r.scope(sm.Scope(), true)
			metrics := sm.Metrics()
			for k := 0; k < metrics.Len(); k++ {
				r.metric(metrics.At(k))
			}
		}
	}
}

func (r *redactor) metric(metric pmetric.Metric) {
	switch metric.Type() {
	case pmetric.MetricTypeGauge:
		r.numberPoints(metric.Gauge().DataPoints())
	case pmetric.MetricTypeSum:
		r.numberPoints(metric.Sum().DataPoints())
	case pmetric.MetricTypeHistogram:
		points := metric.Histogram().DataPoints()
		for i := 0; i < points.Len(); i++ {
			r.point(points.At(i).Attributes(), points.At(i).Exemplars())
		}
	case pmetric.MetricTypeExponentialHistogram:
		points := metric.ExponentialHistogram().DataPoints()
		for i := 0; i < points.Len(); i++ {
			r.point(points.At(i).Attributes(), points.At(i).Exemplars())
		}
	case pmetric.MetricTypeSummary:
		points := metric.Summary().DataPoints()
		for i := 0; i < points.Len(); i++ {
			r.attributes(points.At(i).Attributes(), "", false, true)
		}
	default:
	}
}

func (r *redactor) numberPoints(points pmetric.NumberDataPointSlice) {
	for i := 0; i < points.Len(); i++ {
		r.point(points.At(i).Attributes(), points.At(i).Exemplars())
	}
}

func (r *redactor) point(attributes pcommon.Map, exemplars pmetric.ExemplarSlice) {
	r.attributes(attributes, "", false, true)
	for i := 0; i < exemplars.Len(); i++ {
		r.attributes(exemplars.At(i).FilteredAttributes(), "", false, true)
	}
}
