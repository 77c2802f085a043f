/** The address of the veth end the servers listen on. */
export declare const NETNS_ADDRESS: string
/** Configures the namespace's network; call it inside the fresh namespace before anything listens. */
export declare function setUpTestNetwork(): void
