// The tests start servers and real tools on loopback; running them one at a time keeps them within the
// 2-core build machine's means and makes failures easy to read.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
