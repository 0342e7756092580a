import { Global, Injectable, Module } from '@nestjs/common';
import { DiscoveryModule, DiscoveryService } from '@nestjs/core';

// A port a lower module declares as an abstract class and any number of higher modules
// implement (docs/architecture.md, "Inverting a dependency"). Each implementation is an
// ordinary provider of its own module that extends the port; the lower module asks for all of
// them here and never learns who they are. No registration call, no list kept by hand: a
// provider that extends the port takes part by existing.
export type Port<T> = abstract new (...args: never[]) => T;

@Injectable()
export class PortImplementations {
  constructor(private readonly discovery: DiscoveryService) {}

  // Every provider instance that implements the port, each once. Only static (singleton)
  // providers take part: their instances exist before any lifecycle hook runs.
  of<T>(port: Port<T>): T[] {
    const found = new Set<T>();
    for (const wrapper of this.discovery.getProviders()) {
      const instance: unknown = wrapper.isDependencyTreeStatic() ? wrapper.instance : undefined;
      if (instance instanceof port) found.add(instance);
    }
    return [...found];
  }
}

@Global()
@Module({
  imports: [DiscoveryModule],
  providers: [PortImplementations],
  exports: [PortImplementations],
})
export class PortsModule {}
