// The L4 protocols a NetworkPolicy port or a Service port names: shared by the
// cluster model, the policy IR and the services model without any of them
// importing another.
export type Protocol = "TCP" | "UDP" | "SCTP";
