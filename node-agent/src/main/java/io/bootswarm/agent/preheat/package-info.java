/**
 * Preheats: the tracker asks this host to fetch an image's pieces (its access profile's, or all of them) into
 * the piece store through the swarm before any launch, at a bounded rate, and to report its progress; a later
 * launch of the image here finds them present.
 */
package io.bootswarm.agent.preheat;
