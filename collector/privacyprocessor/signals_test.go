package privacyprocessor

import (
	"context"
	"testing"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor/processorhelper"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

const email = "jane.roe@example.org"

func get(attributes pcommon.Map, key string) string {
	v, ok := attributes.Get(key)
	if !ok {
		return "<absent>"
	}
	return v.AsString()
}

type check struct{ name, got, want string }

func assertAll(t *testing.T, checks []check) {
	t.Helper()
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, c.got, c.want)
		}
	}
}

func TestEveryFieldOfASpanIsRedactedAndLinksAreKept(t *testing.T) {
	r := testRedactor(t)
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("owner", email)
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().Attributes().PutStr("service.name", "mail "+email)
	span := ss.Spans().AppendEmpty()
	span.SetName("GET " + email)
	span.Attributes().PutStr("http.route", "/scene")
	span.Status().SetMessage("failed: " + email)
	event := span.Events().AppendEmpty()
	event.SetName("event " + email)
	event.Attributes().PutStr("contact", email)
	link := span.Links().AppendEmpty()
	link.SetTraceID([16]byte{1})
	link.Attributes().PutStr("user.id", "p1")
	link.Attributes().PutStr("http.route", "/linked "+email)
	link.Attributes().PutStr("note", email)

	r.traces(td)

	assertAll(t, []check{
		{"resource", get(rs.Resource().Attributes(), "owner"), unlistedPlaceholder},
		{"scope", get(ss.Scope().Attributes(), "service.name"), "mail [REDACTED:email]"},
		{"name", span.Name(), "GET [REDACTED:email]"},
		{"attribute", get(span.Attributes(), "http.route"), "/scene"},
		{"status", span.Status().Message(), "failed: [REDACTED:email]"},
		{"event name", event.Name(), "event [REDACTED:email]"},
		{"event attribute", get(event.Attributes(), "contact"), unlistedPlaceholder},
		{"link identifier", get(link.Attributes(), "user.id"), "psn_k1_e5bf1612786212fd"},
		{"link allowed", get(link.Attributes(), "http.route"), "/linked [REDACTED:email]"},
		{"link unlisted", get(link.Attributes(), "note"), unlistedPlaceholder},
	})
	if span.Links().Len() != 1 || span.Links().At(0).TraceID() != [16]byte{1} {
		t.Error("the link was not kept")
	}
}

func TestEveryKindOfLogBodyIsRedacted(t *testing.T) {
	r := testRedactor(t)
	ld := plog.NewLogs()
	records := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	text := records.AppendEmpty()
	text.Body().SetStr("payment failed for " + email)
	text.SetEventName("e " + email)
	text.Attributes().PutStr("code.function.name", "charge")
	text.Attributes().PutStr("user.email", email)
	structured := records.AppendEmpty()
	_ = structured.Body().SetEmptyMap().FromRaw(map[string]any{
		"message": email, "user": map[string]any{"address": map[string]any{"street": "1 Main St"}}, "list": []any{email},
	})
	list := records.AppendEmpty()
	_ = list.Body().SetEmptySlice().FromRaw([]any{"mail " + email, map[string]any{"note": email}})
	raw := records.AppendEmpty()
	raw.Body().SetEmptyBytes().FromRaw([]byte("mail " + email))
	failure := records.AppendEmpty()
	failure.Body().SetStr("ValueError: bad input from jane")
	failure.Attributes().PutStr("exception.type", "ValueError")
	failure.Attributes().PutStr("exception.message", "bad input from jane")

	r.logs(ld)

	assertAll(t, []check{
		{"string body", text.Body().Str(), "payment failed for [REDACTED:email]"},
		{"event name", text.EventName(), "e [REDACTED:email]"},
		{"allowed attribute", get(text.Attributes(), "code.function.name"), "charge"},
		{"unlisted attribute", get(text.Attributes(), "user.email"), unlistedPlaceholder},
		{"bytes body", raw.Body().Str(), bytesPlaceholder},
		{"message in body", failure.Body().Str(), "ValueError: " + exceptionPlaceholder},
	})
	assertRaw(t, structured.Body().Map(), map[string]any{
		"message": unlistedPlaceholder, "user": map[string]any{"address": "[REDACTED:address]"}, "list": []any{unlistedPlaceholder},
	})
	if got := list.Body().Slice().AsRaw(); len(got) != 2 || got[0] != "mail [REDACTED:email]" ||
		got[1].(map[string]any)["note"] != unlistedPlaceholder {
		t.Errorf("list body: %v", got)
	}
}

func TestIdentifiersNeverBecomeMetricAttributes(t *testing.T) {
	r := testRedactor(t)
	md := pmetric.NewMetrics()
	metric := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	point := metric.SetEmptySum().DataPoints().AppendEmpty()
	point.Attributes().PutStr("http.route", "/scene")
	point.Attributes().PutStr("player.id", "p1")
	point.Attributes().PutStr("client", "203.0.113.7")
	exemplar := point.Exemplars().AppendEmpty()
	exemplar.FilteredAttributes().PutStr("session.id", "s1")
	histogram := md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().AppendEmpty().SetEmptyHistogram().DataPoints().AppendEmpty()
	histogram.Attributes().PutStr("user_id", "u1")

	r.metrics(md)

	assertRaw(t, point.Attributes(), map[string]any{"http.route": "/scene", "client": unlistedPlaceholder})
	assertRaw(t, exemplar.FilteredAttributes(), map[string]any{})
	assertRaw(t, histogram.Attributes(), map[string]any{})
}

func TestABatchThatCannotBeRedactedIsDroppedAndCounted(t *testing.T) {
	telemetry := componenttest.NewTelemetry()
	defer func() { _ = telemetry.Shutdown(context.Background()) }()
	set := processortest.NewNopSettings(NewFactory().Type())
	set.TelemetrySettings = telemetry.NewTelemetrySettings()
	p, err := newProcessor(set, committedConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	p.redactor = &redactor{} // no rules: it panics on the first attribute, as a bug would
	td := ptrace.NewTraces()
	td.ResourceSpans().AppendEmpty().Resource().Attributes().PutStr("owner", email)

	_, err = p.processTraces(context.Background(), td)

	if err == nil || !consumererror.IsPermanent(err) {
		t.Fatalf("the batch was not refused: %v", err)
	}
	counted, err := telemetry.GetMetric("otelcol_processor_tta_privacy_failed_batches")
	if err != nil {
		t.Fatal(err)
	}
	if sum := counted.Data.(metricdata.Sum[int64]); sum.DataPoints[0].Value != 1 {
		t.Fatalf("counted %v", sum.DataPoints)
	}
}

func TestTheProcessorPassesNothingOnWhenRedactionFails(t *testing.T) {
	sink := new(consumertest.TracesSink)
	set := processortest.NewNopSettings(NewFactory().Type())
	p, err := newProcessor(set, committedConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	p.redactor = &redactor{}
	traces, err := processorhelper.NewTraces(context.Background(), set, committedConfig(t), sink, p.processTraces, capabilities)
	if err != nil {
		t.Fatal(err)
	}
	td := ptrace.NewTraces()
	td.ResourceSpans().AppendEmpty().Resource().Attributes().PutStr("owner", email)
	if err := traces.ConsumeTraces(context.Background(), td); err == nil {
		t.Fatal("no error")
	}
	if sink.SpanCount() != 0 || len(sink.AllTraces()) != 0 {
		t.Fatal("the batch went on")
	}
}

func TestTheFactoryBuildsAPipelineThatRedacts(t *testing.T) {
	sink := new(consumertest.LogsSink)
	processor, err := NewFactory().CreateLogs(context.Background(), processortest.NewNopSettings(NewFactory().Type()), committedConfig(t), sink)
	if err != nil {
		t.Fatal(err)
	}
	ld := plog.NewLogs()
	ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty().Body().SetStr("mail " + email)
	if err := processor.ConsumeLogs(context.Background(), ld); err != nil {
		t.Fatal(err)
	}
	if got := sink.AllLogs()[0].ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Body().Str(); got != "mail [REDACTED:email]" {
		t.Fatalf("got %q", got)
	}
}

// A batch as the collector benchmark sends it (benchmarks/collector_throughput.py).
func benchmarkLogs() plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("service.name", "telemetrygen")
	records := rl.ScopeLogs().AppendEmpty().LogRecords()
	for range 100 {
		record := records.AppendEmpty()
		record.Body().SetStr("the message")
		record.Attributes().PutStr("http.route", "/players/{player_id}/scene")
		record.Attributes().PutStr("user_agent.original", "Mozilla/5.0 (X11; Linux x86_64)")
		record.Attributes().PutStr("contact", "write to jane.roe@example.org")
		record.Attributes().PutStr("player.id", "2c1f6a1e-8d7e-4c55-9a43-0b7e1d7f6a10")
	}
	return ld
}

func BenchmarkLogRecords(b *testing.B) {
	r := testRedactor(b)
	batch := benchmarkLogs()
	for b.Loop() {
		b.StopTimer()
		ld := plog.NewLogs()
		batch.CopyTo(ld)
		b.StartTimer()
		r.logs(ld)
	}
}
