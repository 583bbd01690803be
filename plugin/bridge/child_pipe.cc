// A pipe for a child's stdin with a kernel buffer larger than the socketpair Node gives (208 KiB by default):
// a Zeek worker reads ~30 MB/s, so the writer's pauses (a read, a GC) must not leave it waiting.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include <napi.h>

namespace zeek_arrow {

// childPipe(bytes) -> { read, write, size }: both ends close-on-exec (the child gets the read end as its stdin by
// dup2, which clears the flag; no other child may hold the write end, or the reader never sees its end).
static Napi::Value ChildPipe(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fds[2];
  if ( pipe2(fds, O_CLOEXEC) != 0 ) {
    Napi::Error::New(env, std::string("pipe2: ") + std::strerror(errno)).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int wanted = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().Int32Value() : 0;
  // Above /proc/sys/fs/pipe-max-size an unprivileged F_SETPIPE_SZ fails: the pipe keeps its default then.
  if ( wanted > 0 )
    fcntl(fds[1], F_SETPIPE_SZ, wanted);
  int size = fcntl(fds[1], F_GETPIPE_SZ);
  Napi::Object result = Napi::Object::New(env);
  result.Set("read", fds[0]);
  result.Set("write", fds[1]);
  result.Set("size", size);
  return result;
}

Napi::Object InitChildPipe(Napi::Env env, Napi::Object exports) {
  exports.Set("childPipe", Napi::Function::New(env, ChildPipe, "childPipe"));
  return exports;
}

} // namespace zeek_arrow
