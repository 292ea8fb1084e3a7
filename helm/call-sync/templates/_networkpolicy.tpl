{{/*
The egress every call-sync pod is allowed, as NetworkPolicyEgressRule list items: DNS, Kafka, MongoDB,
S3, the OTLP collector and the outside APIs over HTTPS. Each destination's ports come from the
address the services are given, so the two cannot differ.
*/}}
{{- define "call-sync.egressRules" -}}
{{- $np := .Values.networkPolicy }}
{{- /* The public addresses: everything but the private ranges the operator excludes. */}}
{{- $outside := list (dict "ipBlock" (dict "cidr" $np.outsideApis.cidr "except" $np.outsideApis.except)) }}
{{- if not $np.outsideApis.except }}
{{- $outside = list (dict "ipBlock" (dict "cidr" $np.outsideApis.cidr)) }}
{{- end }}
{{- $kafkaPorts := list }}
{{- range .Values.kafka.brokers }}
{{- $kafkaPorts = append $kafkaPorts (splitList ":" . | last | atoi) }}
{{- end }}
{{- range $np.kafka.ports }}
{{- $kafkaPorts = append $kafkaPorts (int .) }}
{{- end }}
{{- $s3Ports := list 443 }}
{{- with .Values.s3.endpoint }}
{{- $url := urlParse . }}
{{- $hostPort := splitList ":" $url.host }}
{{- $s3Ports = list (ternary (last $hostPort | atoi) (ternary 80 443 (eq $url.scheme "http")) (gt (len $hostPort) 1)) }}
{{- end }}
{{- range $np.s3.ports }}
{{- $s3Ports = append $s3Ports (int .) }}
{{- end }}
{{- $egressTo := list
  (dict "peers" $np.kafka.peers "ports" (uniq $kafkaPorts))
  (dict "peers" $np.mongodb.peers "ports" $np.mongodb.ports)
  (dict "peers" (default $outside $np.s3.peers) "ports" (uniq $s3Ports)) }}
{{- with .Values.otlpEndpoint }}
{{- $url := urlParse . }}
{{- $hostPort := splitList ":" $url.host }}
{{- $otlpPort := ternary (last $hostPort | atoi) (ternary 80 443 (eq $url.scheme "http")) (gt (len $hostPort) 1) }}
{{- $egressTo = append $egressTo (dict "peers" $np.otlp.peers "ports" (list $otlpPort)) }}
{{- end }}
- to:
    {{- toYaml $np.dnsPeers | nindent 4 }}
  ports:
    - protocol: UDP
      port: 53
    - protocol: TCP
      port: 53
{{- range $egressTo }}
- ports:
    {{- range .ports }}
    - protocol: TCP
      port: {{ . }}
    {{- end }}
  {{- with .peers }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}
- to:
    {{- toYaml $outside | nindent 4 }}
  ports:
    - protocol: TCP
      port: 443
{{- with $np.extraEgress }}
{{ toYaml . }}
{{- end }}
{{- end }}
