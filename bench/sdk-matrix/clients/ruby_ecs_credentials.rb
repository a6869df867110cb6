# SDK matrix driver: aws-sdk-core's own Aws::ECSCredentials (Debian ruby-aws-sdk-core 3.168), built the way
# an application builds it explicitly (its defaults: 5 retries, 5 s open / 5 s read, sleep 1.2**n between).
# 3.168 predates container authorization tokens: it reads only AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and
# sends no Authorization header. The one shim below adds the pod's token to its GET and binds its connection
# to the pod's own source address (Net::HTTP#local_host; on a node every pod has its own IP, the agent's
# fairness key); its retry loop, timeouts, parsing and silent failure are the SDK's own.
# Job on stdin: {"url": ..., "tokens": [...], "addresses": [...]}; prints one JSON array of {"ok", "ms",
# "error"?} per pod.
require 'json'
require 'net/http'
require 'uri'
require 'aws-sdk-core'

module PodAuthorization
  def connect
    address = Thread.current[:pod_address]
    self.local_host = address if address
    super
  end

  def request(req, *args, &block)
    token = Thread.current[:pod_token]
    req['Authorization'] = token if token
    super(req, *args, &block)
  end
end
Net::HTTP.prepend(PodAuthorization)

job = JSON.parse($stdin.read)
uri = URI(job['url'])
start = Process.clock_gettime(Process::CLOCK_MONOTONIC)
elapsed = -> { (Process.clock_gettime(Process::CLOCK_MONOTONIC) - start) * 1000 }
out = Array.new(job['tokens'].length)
threads = job['tokens'].each_with_index.map do |token, i|
  Thread.new do
    Thread.current[:pod_token] = token
    Thread.current[:pod_address] = (job['addresses'] || [])[i]
    begin
      creds = Aws::ECSCredentials.new(ip_address: uri.host, port: uri.port, credential_path: uri.path)
      out[i] = if creds.set?
                 { ok: true, ms: elapsed.call }
               else
                 # ECSCredentials swallows every failure and leaves the credentials unset.
                 { ok: false, ms: elapsed.call, error: 'credentials not set (ECSCredentials hides the error)' }
               end
    rescue StandardError => e
      out[i] = { ok: false, ms: elapsed.call, error: "#{e.class}: #{e.message}".gsub(/\s+/, ' ')[0, 300] }
    end
  end
end
threads.each(&:join)
puts JSON.generate(out)
