import { z } from 'zod';

/**
 * Tracing's settings (docs/tracing.md): OpenTelemetry's standard variables, read here like every
 * other setting and handed to the node's own tracer provider (the SDK reads no environment of its
 * own for what is set here). Tracing is off unless an OTLP endpoint is set and OTEL_SDK_DISABLED is
 * not true. settings.ts spreads these into its table.
 */
const endpoint = z.string().refine((value) => {
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}, 'must be an http:// or https:// URL');

/** `key=value` pairs separated by commas (the W3C baggage format the variables use). */
const keyValueList = z
  .string()
  .refine(
    (value) => value.split(',').every((pair) => pair.trim() === '' || /^[^=]+=.*$/.test(pair.trim())),
    'must be key=value[,key=value...]',
  );

export const TRACES_SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;

export const TRACING_SETTINGS = {
  otelSdkDisabled: {
    env: 'OTEL_SDK_DISABLED',
    flag: 'otel-sdk-disabled',
    schema: z.stringbool(),
    default: 'false',
    description: 'true: no traces are recorded or sent, whatever else is set.',
  },
  otelExporterOtlpEndpoint: {
    env: 'OTEL_EXPORTER_OTLP_ENDPOINT',
    flag: 'otel-exporter-otlp-endpoint',
    schema: endpoint,
    description:
      'Base URL of an OTLP/HTTP receiver; traces go to <url>/v1/traces as OTLP JSON. Unset (and no traces endpoint): tracing is off.',
  },
  otelExporterOtlpTracesEndpoint: {
    env: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
    flag: 'otel-exporter-otlp-traces-endpoint',
    schema: endpoint,
    description: 'Full URL traces are POSTed to (used as given); wins over OTEL_EXPORTER_OTLP_ENDPOINT.',
  },
  otelExporterOtlpHeaders: {
    env: 'OTEL_EXPORTER_OTLP_HEADERS',
    flag: 'otel-exporter-otlp-headers',
    schema: keyValueList,
    secret: true,
    description: 'Headers sent with every export (key=value,...; URL-encoded values), such as an API key.',
  },
  otelExporterOtlpTracesHeaders: {
    env: 'OTEL_EXPORTER_OTLP_TRACES_HEADERS',
    flag: 'otel-exporter-otlp-traces-headers',
    schema: keyValueList,
    secret: true,
    description: 'Headers for trace exports, over OTEL_EXPORTER_OTLP_HEADERS for the same names.',
  },
  otelServiceName: {
    env: 'OTEL_SERVICE_NAME',
    flag: 'otel-service-name',
    schema: z.string().min(1),
    default: 'astra',
    description: "The `service.name` of this node's spans (wins over one in OTEL_RESOURCE_ATTRIBUTES).",
  },
  otelResourceAttributes: {
    env: 'OTEL_RESOURCE_ATTRIBUTES',
    flag: 'otel-resource-attributes',
    schema: keyValueList,
    description: 'More resource attributes of every span (key=value,...; URL-encoded values).',
  },
  otelTracesSampler: {
    env: 'OTEL_TRACES_SAMPLER',
    flag: 'otel-traces-sampler',
    schema: z.enum(TRACES_SAMPLERS),
    default: 'parentbased_always_on',
    description:
      'Which traces are recorded: always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio. A goal is sampled once, at submission: its tasks follow.',
  },
  otelTracesSamplerArg: {
    env: 'OTEL_TRACES_SAMPLER_ARG',
    flag: 'otel-traces-sampler-arg',
    schema: z.coerce.number().min(0).max(1),
    description: 'The ratio of the traceidratio samplers (0 to 1); default 1.',
  },
} as const;
